"""LocalBlobStore: content addressing, atomic idempotent writes, no path traversal."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from radex.blobs import BlobStore, LocalBlobStore, blob_key
from radex.errors import InputError, NotFoundError


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_put_get_round_trip_with_content_key(blobs: LocalBlobStore) -> None:
    data = b"# Title\n\nbody"
    key = blobs.put(data, "text/markdown")
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"sha256/{digest[:2]}/{digest}" == blob_key(data)
    assert blobs.get(key) == data
    assert blobs.exists(key)
    assert isinstance(blobs, BlobStore)


def test_put_is_idempotent_and_leaves_no_temp_files(blobs: LocalBlobStore) -> None:
    key = blobs.put(b"same")
    mtime = blobs.path(key).stat().st_mtime_ns
    assert blobs.put(b"same") == key
    assert blobs.path(key).stat().st_mtime_ns == mtime
    files = [p for p in blobs.root.rglob("*") if p.is_file()]
    assert files == [blobs.path(key)]


def test_empty_blob(blobs: LocalBlobStore) -> None:
    assert blobs.get(blobs.put(b"")) == b""


def test_missing_and_delete(blobs: LocalBlobStore) -> None:
    key = blobs.put(b"gone soon")
    blobs.delete(key)
    blobs.delete(key)  # idempotent
    assert not blobs.exists(key)
    with pytest.raises(NotFoundError):
        blobs.get(key)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "sha256/../" + "a" * 64,
        "sha256/ab/" + "a" * 64,  # prefix does not match the digest
        "sha256/aa/" + "A" * 64,
        "sha256/aa/" + "a" * 63,
        "/sha256/aa/" + "a" * 64,
        "sha256/aa/" + "a" * 64 + "/x",
        "md5/aa/" + "a" * 32,
        "",
    ],
)
def test_crafted_keys_are_refused(blobs: LocalBlobStore, key: str) -> None:
    for call in (blobs.get, blobs.exists, blobs.delete):
        with pytest.raises(InputError):
            call(key)
