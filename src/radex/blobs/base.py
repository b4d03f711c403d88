"""BlobStore: content-addressed bytes (Markdown bodies, storage bodies, attachments)."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod

from radex.errors import InputError

_KEY = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{64})")


def blob_key(data: bytes) -> str:
    """The key ``data`` is stored under: ``sha256/<first 2 hex>/<64 hex>``."""
    digest = hashlib.sha256(data).hexdigest()
    return f"sha256/{digest[:2]}/{digest}"


def check_key(key: str) -> tuple[str, str]:
    """The (prefix, digest) of a well-formed key; InputError for anything else."""
    match = _KEY.fullmatch(key)
    if match is None or not match.group(2).startswith(match.group(1)):
        raise InputError(
            f"'{key[:100]}' is not a blob key", hint="keys look like sha256/ab/ab12…(64 hex digits)"
        )
    return match.group(1), match.group(2)


class BlobStore(ABC):
    """Bytes stored under the SHA-256 of their content: putting the same bytes twice is a no-op."""

    @abstractmethod
    def put(self, data: bytes, media_type: str | None = None) -> str:
        """Store ``data`` and return its key (see :func:`blob_key`)."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes under ``key``; NotFoundError when there are none."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True when ``key`` is stored."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; removing an absent key does nothing."""
