"""Blob storage: a content-addressed BlobStore interface and its local-directory implementation."""

from radex.blobs.base import BlobStore, blob_key, check_key
from radex.blobs.local import LocalBlobStore

__all__ = ["BlobStore", "LocalBlobStore", "blob_key", "check_key"]
