"""Search indexes: the :class:`SearchIndex` interface and its SQLite (FTS5 + numpy) adapter."""

from radex.index.base import IndexDoc, IndexedChunk, SearchIndex, StoredChunk
from radex.index.sqlite import SqliteIndex

__all__ = ["IndexDoc", "IndexedChunk", "SearchIndex", "SqliteIndex", "StoredChunk"]
