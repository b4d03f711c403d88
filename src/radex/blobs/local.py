"""LocalBlobStore: blobs as files under a directory, written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from radex.blobs.base import BlobStore, blob_key, check_key
from radex.errors import NotFoundError


class LocalBlobStore(BlobStore):
    """Blobs in ``root/sha256/<2 hex>/<64 hex>``; media types are not kept (content-addressed)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """Where ``key`` lives on disk (the key is validated, so it cannot escape ``root``)."""
        prefix, digest = check_key(key)
        return self.root / "sha256" / prefix / digest

    def put(self, data: bytes, media_type: str | None = None) -> str:
        """Write ``data`` unless it is there already (temp file + rename, so never half-written)."""
        key = blob_key(data)
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return key

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; NotFoundError when absent."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no blob {key}") from None

    def exists(self, key: str) -> bool:
        """True when ``key`` is stored."""
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()
