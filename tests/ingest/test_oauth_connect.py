"""`connect --oauth` end to end: consent in a (scripted) browser, loopback callback, import."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from ingest_kit import make_emulator, sample_with_extras, served, services

from radex.confluence.auth import OAuthApp
from radex.errors import AuthError
from radex.ingest.oauth_login import READ_SCOPES
from radex.ingest.plan import ImportTarget


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_oauth_sign_in_stores_tokens_and_imports(tmp_path: Path) -> None:
    emu = make_emulator(sample_with_extras(), "cloud")
    port = _free_port()
    redirect = f"http://127.0.0.1:{port}/callback"
    emu.oauth.register("cli-app", "cli-secret", redirect)
    with served(emu) as url:
        origin = url.removesuffix("/wiki")
        app = OAuthApp(
            "cli-app",
            "cli-secret",
            redirect,
            scopes=READ_SCOPES,
            auth_url=origin,
            gateway_url=origin,
            authorize_path=emu.config.oauth_authorize_path,
            token_path=emu.config.oauth_token_path,
            resources_path=emu.config.accessible_resources_path,
        )
        shown: list[str] = []

        def browser(consent_url: str) -> None:
            shown.append(consent_url)
            # The user's browser: follows the consent redirect back to the loopback callback.
            httpx.get(consent_url, follow_redirects=True, timeout=10)

        svc = services(tmp_path / "home")
        try:
            source = asyncio.run(
                svc.sources.connect_oauth("acme", url, app, show_url=browser, wait_s=10)
            )
            assert len(shown) == 1
            assert "client_id=cli-app" in shown[0]
            assert source.credential_kind == "oauth"
            assert b"cli-secret" not in source.credential_ciphertext

            oncall = next(
                c for c in emu.site.content.values() if c.title == "On-call and incidents"
            )

            async def go() -> tuple[int, int, dict[str, int]]:
                async with svc.sources.open(svc.store.source("acme")) as client:
                    by_cql = await svc.importer(source, client).run(ImportTarget.cql("label = adr"))
                    tree = await svc.importer(source, client).run(
                        ImportTarget.page(oncall.id, tree=True)
                    )
                    assert by_cql.ok, by_cql.failures
                    assert tree.ok, tree.failures
                    statuses = {
                        k: int(v)
                        for k, v in client.observer.counters.items()
                        if k.startswith("responses.")
                    }
                    return by_cql.run.counts["imported"], tree.run.counts["imported"], statuses

            adrs, pages, statuses = asyncio.run(go())
            assert adrs >= 4
            assert pages >= 3  # the tree's descendants were listed
            # every call the import makes is within the scopes RADEX asks for (no 401/403)
            assert set(statuses) == {"responses.200"}, statuses
        finally:
            svc.close()


def test_oauth_without_a_callback_times_out_clearly(tmp_path: Path) -> None:
    app = OAuthApp("x", "y", f"http://127.0.0.1:{_free_port()}/callback")
    svc = services(tmp_path / "home")
    try:
        with pytest.raises(AuthError, match="no OAuth callback"):
            asyncio.run(
                svc.sources.connect_oauth(
                    "a", "https://acme.example", app, show_url=lambda _u: None, wait_s=0.2
                )
            )
        assert svc.store.sources() == []
    finally:
        svc.close()
