"""HTTPS to a site with a private certificate authority: refused with a clear reason, then
trusted through ``SSL_CERT_FILE``, while every client shares the TLS settings read once."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from emulator_kit import make_emulator
from test_client_kit import token_for

from radex.confluence.client import ConfluenceClient
from radex.confluence.client.base import tls_context
from radex.confluence.emulator.serve import running
from radex.errors import ConfigError, TransientError, UpstreamError


def private_site_certificate(directory: Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (its own authority) and its key, as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RADEX test site")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "site.pem", directory / "site.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


async def test_a_private_authority_is_refused_clearly_then_trusted_through_ssl_cert_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = make_emulator("cloud")
    cert_file, key_file = private_site_certificate(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with running(emu, tls=(cert_file, key_file)) as url:
        assert url.startswith("https://127.0.0.1:")
        async with ConfluenceClient.connect(url, token_for(emu, "alice")) as client:
            with pytest.raises(UpstreamError) as refused:
                [s async for s in client.spaces()]
        assert not isinstance(refused.value, TransientError)  # retrying would not help
        assert "TLS certificate of 127.0.0.1" in str(refused.value)
        assert "not trusted" in str(refused.value)
        assert "SSL_CERT_FILE" in (refused.value.hint or "")
        async with ConfluenceClient.connect(url, token_for(emu, "alice")) as client:
            check = await client.validate()  # what `radex connect` shows
        assert not check.ok
        assert "not trusted" in check.message
        assert "SSL_CERT_FILE" in check.hint

        monkeypatch.setenv("SSL_CERT_FILE", cert_file)  # set after a client was made
        async with ConfluenceClient.connect(url, token_for(emu, "alice")) as client:
            assert sorted([s.key async for s in client.spaces()]) == ["ENG", "PUB"]


def test_clients_share_the_tls_settings_of_the_same_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first = tls_context()
    assert tls_context() is first  # read once, not once per client
    cert_file, _ = private_site_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert_file)
    private = tls_context()
    assert private is not first
    assert [c["subject"] for c in private.get_ca_certs()] == [
        ((("commonName", "RADEX test site"),),)
    ]


@pytest.mark.parametrize("content", [None, b"not a certificate\n"])
def test_an_ssl_cert_file_that_holds_no_certificate_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None
) -> None:
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_bytes(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(ConfigError) as bad:
        ConfluenceClient.connect(
            "https://example.atlassian.net", token_for(make_emulator("cloud"), "alice")
        )
    assert f"SSL_CERT_FILE={bundle}" in str(bad.value)
    assert "PEM file" in (bad.value.hint or "")
