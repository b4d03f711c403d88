"""Chunks and documents as ``fetch`` returns them, held in memory and kept in step with writes.

A :class:`ChunkStore` is read from the file on the first fetch (every chunk row and every
document with its labels and Acl, in one read transaction) and then updated by each write of
this process, under the index's memory lock; the index drops it with the rest of its
in-memory side when another connection writes (``PRAGMA data_version``) or a write fails. Each
chunk is kept as the :class:`StoredChunk` a read from SQL builds (:func:`schema.fetch
<radex.index.schema.fetch>`; a test compares the two after random writes), so a fetch is a
dictionary look-up per id and runs no SQL. Documents with the same Acl share one parsed
:class:`Acl`; breadcrumbs, headings and anchors repeated across chunks share one string.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from radex.index import schema
from radex.index.base import IndexDoc, StoredChunk
from radex.types import Acl, Chunk


class ChunkStore:
    """Every chunk of an index with its document, by chunk id."""

    def __init__(self) -> None:
        self.chunks: dict[str, StoredChunk] = {}
        self._docs: dict[str, IndexDoc] = {}
        self._ids: dict[str, list[str]] = {}  # document id -> its chunk ids

    @classmethod
    def read(cls, db: sqlite3.Connection) -> ChunkStore:
        """Every chunk and document of the file (the caller holds a read transaction)."""
        store = cls()
        store._docs = schema.read_docs(db)
        shared: dict[str, str] = {}  # one object per repeated string
        rows = db.execute(f"SELECT {schema.CHUNK_COLUMNS} FROM chunks ORDER BY id")  # noqa: S608
        for chunk_id, doc_id, ordinal, text, crumb, tokens, heading, anchor in rows:
            doc = store._docs.get(doc_id)
            if doc is None:  # never, with foreign keys on: a chunk has its document
                continue
            crumb = shared.setdefault(crumb, crumb)
            heading = heading if heading is None else shared.setdefault(heading, heading)
            anchor = anchor if anchor is None else shared.setdefault(anchor, anchor)
            chunk = Chunk(chunk_id, doc.document_id, ordinal, text, crumb, tokens, heading, anchor)
            store.chunks[chunk_id] = StoredChunk(chunk, doc)
            store._ids.setdefault(doc.document_id, []).append(chunk_id)
        return store

    def get(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        """The chunks with these ids, in the order asked (unknown ids and repeats skipped)."""
        chunks = self.chunks
        return [chunks[c] for c in dict.fromkeys(chunk_ids) if c in chunks]

    def put(self, doc: IndexDoc, chunks: Sequence[Chunk]) -> None:
        """A document (as stored: :func:`schema.as_stored <radex.index.schema.as_stored>`)
        and its chunks, replacing what it had."""
        self.forget(doc.document_id)
        self._docs[doc.document_id] = doc
        ids = self._ids[doc.document_id] = []
        for c in chunks:  # as SQL gives them back: plain ints, the document's id object
            stored = Chunk(
                c.id,
                doc.document_id,
                int(c.ordinal),
                c.text,
                c.breadcrumb,
                int(c.token_count),
                c.heading,
                c.anchor,
            )
            self.chunks[c.id] = StoredChunk(stored, doc)
            ids.append(c.id)

    def forget(self, document_id: str) -> None:
        """Drop a document and its chunks (no error when unknown)."""
        self._docs.pop(document_id, None)
        for chunk_id in self._ids.pop(document_id, ()):
            self.chunks.pop(chunk_id, None)

    def set_acl(self, document_id: str, acl: Acl) -> None:
        """Give a known document (and so each of its chunks) a new Acl."""
        doc = self._docs.get(document_id)
        if doc is None:
            return
        doc = self._docs[document_id] = replace(doc, acl=acl)
        for chunk_id in self._ids.get(document_id, ()):
            self.chunks[chunk_id] = StoredChunk(self.chunks[chunk_id].chunk, doc)
