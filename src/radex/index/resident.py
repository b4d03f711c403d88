"""The SQLite index's in-memory side: what both search legs read instead of SQL.

A :class:`Resident` holds, as of one ``PRAGMA data_version`` of the file, every document's
interned Acl (``DocTable`` + ``AclTable``), one ``VectorSet`` per embedding model, the
keyword ``Lexicon`` and the chunks ``fetch`` returns (``ChunkStore``), each loaded on first
use and then kept in step with this process's writes. It also carries the index's caches
that must not outlive that version of the file: per reader, which documents they may see;
per filter, which documents pass it. Callers hold the index's memory lock, and its
connection lock while reading.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable, Sequence
from typing import Final

import numpy as np

from radex.index import schema
from radex.index.base import IndexDoc
from radex.index.chunks import ChunkStore
from radex.index.lexicon import Lexicon
from radex.index.memory import CLOSED, AclTable, Admitted, Bools, DocTable, Floats, VectorSet
from radex.types import Chunk

_READERS: Final = 64
"""Readers whose per-document admission is kept."""


class Resident:
    """Documents' Acls, per-model vectors and the lexicon of one SQLite index file."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.acls = AclTable()
        self.docs = DocTable()
        self.sets: dict[str, VectorSet] = {}
        self.lexicon: Lexicon | None = None
        self.store: ChunkStore | None = None
        self.filtered: dict[Hashable, tuple[object, Bools]] = {}  # filters -> (state, per doc)
        self._admitted: dict[frozenset[str], tuple[Bools, tuple[int, int], int, Bools]] = {}

    @classmethod
    def read(cls, db: sqlite3.Connection, version: int) -> Resident:
        """Every document and its Acl (the caller holds a read transaction)."""
        resident = cls(version)
        for (document_id,) in db.execute("SELECT document_id FROM documents"):
            resident.docs.index(document_id)
        for document_id, rows in schema.acl_rows_of(db).items():
            resident.set_acl(document_id, rows)
        return resident

    def load_vectors(self, db: sqlite3.Connection, model_id: str) -> VectorSet:
        """Every vector of ``model_id`` in one matrix (remembered once the model has some)."""
        row = db.execute(
            "SELECT dim FROM chunks WHERE model_id = ? LIMIT 1", (model_id,)
        ).fetchone()
        vectors = VectorSet(int(row[0]) if row else 1)
        if row is None:
            return vectors  # not remembered: the model may appear with the next write
        by_doc: dict[str, tuple[list[str], list[bytes]]] = {}
        for chunk_id, document_id, blob in db.execute(
            "SELECT chunk_id, document_id, vector FROM chunks WHERE model_id = ? ORDER BY id",
            (model_id,),
        ):
            ids, blobs = by_doc.setdefault(document_id, ([], []))
            ids.append(chunk_id)
            blobs.append(blob)
        for document_id, (ids, blobs) in by_doc.items():
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, vectors.dim)
            vectors.add(self.docs.index(document_id), ids, matrix)
        self.sets[model_id] = vectors
        return vectors

    def load_lexicon(self, db: sqlite3.Connection) -> Lexicon:
        """Every chunk's terms (raises OverflowError when they are too many to hold)."""
        lexicon = Lexicon()
        lexicon.load(schema.lexicon_rows(db, self.docs.index))
        self.lexicon = lexicon
        return lexicon

    def load_store(self, db: sqlite3.Connection) -> ChunkStore:
        """Every chunk and document, as ``fetch`` returns them."""
        self.store = ChunkStore.read(db)
        return self.store

    def set_acl(self, document_id: str, rows: Sequence[Sequence[str]]) -> None:
        """Record a document's Acl (stored clause rows), adding the document when new."""
        self.docs.set_acl(self.docs.index(document_id), self.acls.intern_rows(rows))
        if self.store is not None:
            self.store.set_acl(document_id, schema.stored_acl(rows))

    def forget(self, document_id: str) -> None:
        """Drop a document's vectors and terms and close its Acl."""
        slot = self.docs.get(document_id)
        if slot is None:
            return
        self.docs.set_acl(slot, CLOSED)
        for vectors in self.sets.values():
            vectors.remove(slot)
        if self.lexicon is not None:
            self.lexicon.remove(slot)
        if self.store is not None:
            self.store.forget(document_id)

    def put(
        self,
        doc: IndexDoc,
        acl_rows: list[list[str]],
        model_id: str,
        chunks: Sequence[Chunk],
        vectors: Floats | None,
    ) -> None:
        """A document's new Acl (its stored clause rows), vectors, terms and chunks,
        replacing what it had.

        Raises OverflowError (the lexicon dropped, the rest done) when the lexicon is full.
        """
        document_id = doc.document_id
        chunk_ids = [c.id for c in chunks]
        self.forget(document_id)
        self.set_acl(document_id, acl_rows)
        slot = self.docs.index(document_id)
        found = self.sets.get(model_id)
        if found is not None and vectors is not None:
            found.add(slot, chunk_ids, vectors)
        if self.store is not None:
            self.store.put(schema.as_stored(doc, acl_rows), chunks)
        if self.lexicon is not None:
            bodies = [(c.breadcrumb, c.text) for c in chunks]
            try:
                self.lexicon.add(slot, chunk_ids, bodies, doc.title)
            except OverflowError:
                self.lexicon = None
                raise

    def admitted(self, keys: frozenset[str]) -> Admitted:
        """Per document, whether its Acl admits a reader holding the principals ``keys``
        (from :func:`~radex.index.memory.reader_keys`); row masks are cached under ``keys``.

        Kept per reader until a document's Acl changes or a document is added.
        """
        acl_ok = self.acls.admitted(keys)
        mark, size = self.docs.changes.mark(), len(self.docs)
        found = self._admitted.get(keys)
        if found is None or found[0] is not acl_ok or found[1] != mark or found[2] != size:
            ok = self.docs.admitted(acl_ok)
            ok.setflags(write=False)
            if found is None and len(self._admitted) >= _READERS:
                self._admitted.pop(next(iter(self._admitted)))
            found = self._admitted[keys] = (acl_ok, mark, size, ok)
        return Admitted(found[3], self.docs.changes, keys)
