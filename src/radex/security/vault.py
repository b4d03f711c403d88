"""The credential vault: AES-256-GCM encryption of stored credentials, with key rotation.

Ciphertext layout (all authenticated: the header is part of the GCM associated data)::

    b"RXv1" | key-id length (1 byte) | key id (UTF-8) | nonce (12 bytes) | ciphertext + tag

Keys come from ``RADEX_SECRET_KEY`` (see :func:`key_from_secret`) or from a key file: JSON
``{"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>", ...}}`` with mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from radex.errors import ConfigError
from radex.security.keyfile import read_key_file, write_key_file

MAGIC = b"RXv1"
NONCE_BYTES = 12
KEY_BYTES = 32
SCRYPT_SALT = b"radex credential vault v1"  # fixed: a passphrase must give the same key everywhere


class CredentialVault:
    """Encrypts and decrypts credentials; holds keys by id, encrypts under the current one."""

    __slots__ = ("_current", "_keys")

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str) -> None:
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if len(key) != KEY_BYTES:
                raise ConfigError(f"key '{key_id}' is {len(key)} bytes, not {KEY_BYTES}")
        if current_key_id not in keys:
            raise ConfigError(f"the current key '{current_key_id}' is not among the vault's keys")
        self._keys = {k: bytes(v) for k, v in keys.items()}
        self._current = current_key_id

    def __repr__(self) -> str:
        return f"CredentialVault(current={self._current!r}, key_ids={sorted(self._keys)!r})"

    @property
    def current_key_id(self) -> str:
        """The id of the key new ciphertexts are made with."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of every key the vault can decrypt with."""
        return tuple(sorted(self._keys))

    def encrypt(self, plaintext: bytes, *, associated_data: bytes = b"") -> tuple[bytes, str]:
        """Encrypt under the current key; returns (ciphertext, key id)."""
        key_id = self._current
        header = MAGIC + bytes([len(key_id.encode())]) + key_id.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._keys[key_id]).encrypt(nonce, plaintext, header + associated_data)
        return header + nonce + sealed, key_id

    def decrypt(
        self, ciphertext: bytes, key_id: str | None = None, associated_data: bytes = b""
    ) -> bytes:
        """Decrypt (``key_id``, if given, must match the header); ConfigError on any failure."""
        header, embedded = _parse_header(ciphertext)
        if key_id is not None and key_id != embedded:
            raise ConfigError(
                f"the credential says it was encrypted with key '{embedded}', not '{key_id}'",
                hint="the stored key id is stale; re-run `radex keys rotate`",
            )
        key = self._keys.get(embedded)
        if key is None:
            raise ConfigError(
                f"the credential was encrypted with key '{embedded}', which this vault lacks",
                hint="restore that key (key file or RADEX_SECRET_KEY), or reconnect the source",
            )
        body = ciphertext[len(header) :]
        nonce, sealed = body[:NONCE_BYTES], body[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, header + associated_data)
        except InvalidTag:
            raise ConfigError(
                "a stored credential could not be decrypted: wrong key or altered data",
                hint="check RADEX_SECRET_KEY / the key file, or reconnect the source",
            ) from None

    def rotate(
        self, ciphertext: bytes, key_id: str | None = None, associated_data: bytes = b""
    ) -> tuple[bytes, str]:
        """Re-encrypt a ciphertext under the current key; returns (ciphertext, key id)."""
        plaintext = self.decrypt(ciphertext, key_id, associated_data)
        return self.encrypt(plaintext, associated_data=associated_data)

    def needs_rotation(self, key_id: str) -> bool:
        """True when a ciphertext made with ``key_id`` is not under the current key."""
        return key_id != self._current


def _check_key_id(key_id: str) -> None:
    raw = key_id.encode()
    if not raw or len(raw) > 255:
        raise ConfigError(f"key id '{key_id[:40]}' must be 1-255 bytes")


def _parse_header(ciphertext: bytes) -> tuple[bytes, str]:
    if len(ciphertext) < len(MAGIC) + 1 or not ciphertext.startswith(MAGIC):
        raise ConfigError("a stored credential is not a RADEX vault ciphertext")
    size = ciphertext[len(MAGIC)]
    end = len(MAGIC) + 1 + size
    if size == 0 or len(ciphertext) < end + NONCE_BYTES + 16:
        raise ConfigError("a stored credential is truncated")
    try:
        key_id = ciphertext[len(MAGIC) + 1 : end].decode()
    except UnicodeDecodeError:
        raise ConfigError("a stored credential has a corrupt header") from None
    return ciphertext[:end], key_id


def key_from_secret(secret: str) -> bytes:
    """The 32-byte key a secret gives: its base64 when that decodes to 32 bytes, else scrypt.

    A passphrase is stretched with scrypt (n=2**14, r=8, p=1, fixed salt): slow to guess, and
    the same passphrase gives the same key on every machine.
    """
    text = secret.strip()
    if not text:
        raise ConfigError("RADEX_SECRET_KEY is empty", hint="unset it, or set 32 random bytes")
    with contextlib.suppress(binascii.Error, ValueError):
        raw = base64.b64decode(text, validate=True)
        if len(raw) == KEY_BYTES:
            return raw
    return Scrypt(salt=SCRYPT_SALT, length=KEY_BYTES, n=2**14, r=8, p=1).derive(text.encode())


def key_id_for(key: bytes) -> str:
    """A stable id for a key from its fingerprint (a keyed hash; reveals nothing usable)."""
    return "env-" + hashlib.sha256(b"radex key id\x00" + key).hexdigest()[:12]


def new_key_id() -> str:
    """A fresh key id: the UTC date and time plus random hex."""
    return datetime.now(UTC).strftime("k%Y%m%dT%H%M%S-") + secrets.token_hex(3)


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def load_vault(secret_key: str | None, key_file: Path) -> CredentialVault:
    """The vault to use: ``secret_key`` (RADEX_SECRET_KEY) when given, else the key file.

    With a secret, it is the current key and any keys in an existing key file still decrypt
    (so moving from a key file to the variable needs no downtime). Without one, the key file
    is read, or created with one fresh key (mode 0600) when it does not exist.
    """
    if secret_key is not None:
        key = key_from_secret(secret_key)
        current = key_id_for(key)
        keys = read_key_file(key_file)[1] if key_file.exists() else {}
        return CredentialVault({**keys, current: key}, current)
    if not key_file.exists():
        key_id = new_key_id()
        write_key_file(key_file, key_id, {key_id: generate_key()}, exclusive=True)
    current, keys = read_key_file(key_file)
    return CredentialVault(keys, current)


def add_key(key_file: Path) -> str:
    """Add a fresh key to the key file and make it current (old keys stay); returns its id."""
    keys = read_key_file(key_file)[1] if key_file.exists() else {}
    key_id = new_key_id()
    while key_id in keys:
        key_id = new_key_id()
    write_key_file(key_file, key_id, {**keys, key_id: generate_key()})
    return key_id
