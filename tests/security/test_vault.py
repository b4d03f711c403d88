"""CredentialVault and its key file: AES-GCM round trips, tampering, rotation, 0600 files."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from radex.errors import ConfigError
from radex.security import CredentialVault, add_key, key_from_secret, load_vault

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def vault(*ids: str, current: str | None = None) -> CredentialVault:
    keys = {i: bytes([n]) * 32 for n, i in enumerate(ids, start=1)}
    return CredentialVault(keys, current or ids[-1])


def test_round_trip_embeds_the_key_id() -> None:
    v = vault("k1")
    ciphertext, key_id = v.encrypt(b"token-123", associated_data=b"source:acme")
    assert key_id == "k1"
    assert b"k1" in ciphertext
    assert b"token-123" not in ciphertext
    assert v.decrypt(ciphertext, "k1", b"source:acme") == b"token-123"
    assert v.encrypt(b"token-123")[0] != v.encrypt(b"token-123")[0]  # random nonce


def test_tampering_is_a_config_error_without_the_secret() -> None:
    v = vault("k1")
    ciphertext, _ = v.encrypt(b"hunter2")
    flipped = bytearray(ciphertext)
    flipped[-1] ^= 1
    with pytest.raises(ConfigError, match="wrong key or altered") as info:
        v.decrypt(bytes(flipped), "k1")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError):
        v.decrypt(ciphertext, "k1", b"other associated data")
    with pytest.raises(ConfigError):
        v.decrypt(b"garbage", "k1")
    with pytest.raises(ConfigError):
        v.decrypt(ciphertext[:20], "k1")


def test_wrong_key_and_unknown_key_id() -> None:
    ciphertext, _ = vault("k1").encrypt(b"s")
    other = CredentialVault({"k1": b"\x09" * 32}, "k1")
    with pytest.raises(ConfigError, match="wrong key"):
        other.decrypt(ciphertext, "k1")
    with pytest.raises(ConfigError, match="lacks"):
        vault("k2").decrypt(ciphertext)
    with pytest.raises(ConfigError, match="not 'k9'"):
        vault("k1").decrypt(ciphertext, "k9")


def test_rotation_re_encrypts_under_the_current_key() -> None:
    old = vault("k1")
    ciphertext, _ = old.encrypt(b"pat", associated_data=b"ad")
    both = vault("k1", "k2", current="k2")
    assert both.needs_rotation("k1")
    assert not both.needs_rotation("k2")
    rotated, key_id = both.rotate(ciphertext, "k1", b"ad")
    assert key_id == "k2"
    assert both.decrypt(rotated, "k2", b"ad") == b"pat"
    with pytest.raises(ConfigError):
        old.decrypt(rotated)


def test_keys_never_appear_in_repr() -> None:
    v = CredentialVault({"k1": b"\xab" * 32}, "k1")
    assert "k1" in repr(v)
    assert "ab" * 4 not in repr(v)
    assert base64.b64encode(b"\xab" * 32).decode() not in repr(v)
    with pytest.raises(ConfigError):
        CredentialVault({"k1": b"short"}, "k1")
    with pytest.raises(ConfigError):
        CredentialVault({"k1": b"\x00" * 32}, "k2")


@posix_only
def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "conf" / "keys.json"
    first = load_vault(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    data = json.loads(key_file.read_text())
    assert data["current"] == first.current_key_id
    assert len(base64.b64decode(data["keys"][first.current_key_id])) == 32
    ciphertext, key_id = first.encrypt(b"secret")
    again = load_vault(None, key_file)
    assert again.decrypt(ciphertext, key_id) == b"secret"
    assert [p.name for p in key_file.parent.iterdir()] == ["keys.json"]


@posix_only
def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    load_vault(None, key_file)
    key_file.chmod(0o644)
    with pytest.raises(ConfigError) as info:
        load_vault(None, key_file)
    assert f"chmod 600 {key_file}" in str(info.value)


def test_corrupt_key_file_is_a_config_error(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    key_file.write_text('{"current": "k1", "keys": {"k1": "!!"}}')
    key_file.chmod(0o600)
    with pytest.raises(ConfigError, match="not valid"):
        load_vault(None, key_file)


@posix_only
def test_add_key_rotates_and_keeps_old_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    old = load_vault(None, key_file)
    ciphertext, old_id = old.encrypt(b"tok")
    new_id = add_key(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    new = load_vault(None, key_file)
    assert new.current_key_id == new_id != old_id
    assert set(new.key_ids) == {old_id, new_id}
    rotated, key_id = new.rotate(ciphertext, old_id)
    assert key_id == new_id
    assert new.decrypt(rotated, key_id) == b"tok"


def test_secret_from_env_string(tmp_path: Path) -> None:
    raw = bytes(range(32))
    b64 = base64.b64encode(raw).decode()
    assert key_from_secret(b64) == raw
    from_b64 = load_vault(b64, tmp_path / "absent.json")
    assert not (tmp_path / "absent.json").exists()  # a secret means no key file is made
    ciphertext, key_id = from_b64.encrypt(b"x")
    assert load_vault(b64, tmp_path / "absent.json").decrypt(ciphertext, key_id) == b"x"
    phrase = load_vault("correct horse battery staple", tmp_path / "absent.json")
    assert key_from_secret("correct horse battery staple") != raw
    assert phrase.current_key_id != key_id
    with pytest.raises(ConfigError):
        phrase.decrypt(ciphertext)
    with pytest.raises(ConfigError):
        key_from_secret("  ")


@posix_only
def test_env_secret_still_decrypts_key_file_credentials(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    ciphertext, key_id = load_vault(None, key_file).encrypt(b"old")
    env = load_vault("a passphrase", key_file)
    assert env.current_key_id.startswith("env-")
    assert env.decrypt(ciphertext, key_id) == b"old"
