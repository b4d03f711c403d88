"""The embedded search index: SQLite (WAL) with FTS5 for keywords, numpy for exact vectors.

Tables: ``documents`` (+ ``doc_labels``), the Acl in CNF as ``acl_clause``/``acl_member``,
``chunks`` (text, breadcrumb, float32 vector blob and its model) and the FTS5 table
``chunks_fts`` (``porter unicode61`` over breadcrumb + text, and the title).

The keyword leg materialises the FTS matches in a CTE and keeps those whose document's Acl
admits the reader with ``EXISTS``/``NOT EXISTS`` on the Acl tables (never ``rowid IN``:
DESIGN §3). The vector leg keeps every vector of a model in one contiguous matrix, loaded on
first use and updated on every write; a boolean mask of admitted (and filtered) documents is
applied to the similarities before the top ``k`` are taken.

Threads: one connection (``check_same_thread=False``) serialised by a lock, and a second lock
for the in-memory side; writes hold both (memory first), so a keyword search can run while a
vector search computes, and both see a write all at once. Other processes may read the file
concurrently (WAL); one writer at a time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from radex.errors import InputError
from radex.index import query as q
from radex.index import schema
from radex.index.base import IndexDoc, IndexedChunk, SearchIndex, StoredChunk, Vector
from radex.index.lexical import KeywordLeg
from radex.index.memory import (
    CLOSED,
    AclTable,
    DocTable,
    VectorSet,
    acl_rows,
    normalised,
    reader_keys,
)
from radex.types import Acl, Chunk, Principal, SearchFilters


class _Memory:
    """The in-memory side: document Acls for the vector mask, and per-model vector sets."""

    def __init__(self) -> None:
        self.acls = AclTable()
        self.docs = DocTable()
        self.sets: dict[str, VectorSet] = {}


class SqliteIndex(SearchIndex):
    """A :class:`SearchIndex` in one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._db_lock = threading.RLock()
        self._mem_lock = threading.RLock()
        self._memory: _Memory | None = None
        self._generation = 0
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._keyword = KeywordLeg(self._db, self._db_lock)
        with self._write():
            schema.migrate(self._db, self.path)

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, holding both locks (memory first, then the connection)."""
        with self._mem_lock, self._db_lock:
            self._generation += 1  # row masks cached for the vector leg are stale from here
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                self._memory = None  # reloaded from the file on the next vector search
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ writes

    def replace_document(
        self, doc: IndexDoc, chunks: Sequence[IndexedChunk], model_id: str
    ) -> None:
        """Replace every chunk of ``doc`` (and its metadata) in one transaction."""
        if not model_id:
            raise InputError("model_id must name the embedding model of the vectors")
        bad = [c.chunk.id for c in chunks if c.chunk.document_id != doc.document_id]
        if bad:
            raise InputError(f"chunk {bad[0]} does not belong to document {doc.document_id}")
        try:
            matrix = normalised([c.vector for c in chunks]) if chunks else None
        except ValueError as exc:
            raise InputError(f"bad vectors for document {doc.document_id}: {exc}") from exc
        dim = int(matrix.shape[1]) if matrix is not None else 0
        rows = acl_rows(doc.acl)
        with self._write():
            if matrix is not None:
                self._check_dim(model_id, dim, doc.document_id)
            self._delete(doc.document_id)
            try:
                self._insert_doc(doc, rows)
                for i, item in enumerate(chunks):
                    self._insert_chunk(item.chunk, doc.title, model_id, matrix, i)
            except sqlite3.IntegrityError as exc:
                raise InputError(
                    f"document {doc.document_id} cannot be indexed: {exc}",
                    hint="chunk ids must be unique (<document_id>:<ordinal>)",
                ) from exc
            self._keyword.changed(len(chunks))
            ids = [c.chunk.id for c in chunks]
            memory = self._memory
            if memory is not None:
                self._forget(memory, doc.document_id)
                slot = memory.docs.index(doc.document_id)
                memory.docs.set_acl(slot, memory.acls.intern_rows(rows))
                vectors = memory.sets.get(model_id)
                if vectors is not None and matrix is not None:
                    vectors.add(slot, ids, matrix)

    def _check_dim(self, model_id: str, dim: int, document_id: str) -> None:
        """Refuse vectors whose dimension differs from the model's other vectors."""
        row = self._db.execute(
            "SELECT dim FROM chunks WHERE model_id = ? AND document_id <> ? LIMIT 1",
            (model_id, document_id),
        ).fetchone()
        if row is not None and row[0] != dim:
            raise InputError(
                f"model {model_id} has {row[0]}-dimensional vectors in the index, not {dim}"
            )

    def _insert_doc(self, doc: IndexDoc, rows: list[list[str]]) -> None:
        """Insert the document row, its labels and its Acl clauses."""
        updated = doc.updated_at
        self._db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.document_id,
                doc.external_id,
                doc.title,
                doc.url,
                doc.space_key,
                q.normal_folder(doc.folder_path) if doc.folder_path else None,
                doc.author_id,
                updated.isoformat() if updated else None,
                q.timestamp(updated) if updated else None,
            ),
        )
        labels = list(dict.fromkeys(doc.labels))
        self._db.executemany(
            "INSERT INTO doc_labels VALUES (?, ?, ?)",
            [(doc.document_id, i, label) for i, label in enumerate(labels)],
        )
        self._insert_acl(doc.document_id, rows)

    def _insert_acl(self, document_id: str, rows: list[list[str]]) -> None:
        """Insert the Acl clauses of a document (none: it admits no one)."""
        self._db.executemany(
            "INSERT INTO acl_clause VALUES (?, ?)", [(document_id, n) for n in range(len(rows))]
        )
        self._db.executemany(
            "INSERT INTO acl_member VALUES (?, ?, ?)",
            [(document_id, n, p) for n, clause in enumerate(rows) for p in clause],
        )

    def _insert_chunk(
        self, chunk: Chunk, title: str, model_id: str, matrix: Vector | None, row: int
    ) -> None:
        """Insert one chunk, its vector and its FTS row."""
        assert matrix is not None
        cursor = self._db.execute(
            "INSERT INTO chunks (chunk_id, document_id, ordinal, text, breadcrumb, token_count,"
            " heading, anchor, model_id, dim, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                chunk.id,
                chunk.document_id,
                chunk.ordinal,
                chunk.text,
                chunk.breadcrumb,
                chunk.token_count,
                chunk.heading,
                chunk.anchor,
                model_id,
                int(matrix.shape[1]),
                matrix[row].tobytes(),
            ),
        )
        self._db.execute(
            "INSERT INTO chunks_fts (rowid, body, title) VALUES (?, ?, ?)",
            (cursor.lastrowid, chunk.embed_text, title),
        )

    def _delete(self, document_id: str) -> None:
        """Delete a document's rows (inside a write transaction)."""
        ids = self._db.execute("SELECT id FROM chunks WHERE document_id = ?", (document_id,))
        rows = ids.fetchall()
        self._db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", rows)
        self._db.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))
        self._keyword.changed(len(rows))

    def _forget(self, memory: _Memory, document_id: str) -> None:
        """Drop a document's vectors from memory and close its Acl there."""
        slot = memory.docs.get(document_id)
        if slot is None:
            return
        memory.docs.set_acl(slot, CLOSED)
        for vectors in memory.sets.values():
            vectors.remove(slot)

    def delete_document(self, document_id: str) -> None:
        """Remove a document and all its chunks (no error when absent)."""
        with self._write():
            self._delete(document_id)
            if self._memory is not None:
                self._forget(self._memory, document_id)

    def update_acl(self, document_id: str, acl: Acl) -> None:
        """Change who may read a document without re-embedding it (unknown ids: no-op)."""
        rows = acl_rows(acl)
        with self._write():
            self._db.execute("DELETE FROM acl_clause WHERE document_id = ?", (document_id,))
            known = self._db.execute(
                "SELECT 1 FROM documents WHERE document_id = ?", (document_id,)
            ).fetchone()
            if known is None:
                return
            self._insert_acl(document_id, rows)
            memory = self._memory
            if memory is not None:
                slot = memory.docs.index(document_id)
                memory.docs.set_acl(slot, memory.acls.intern_rows(rows))

    # ------------------------------------------------------------------ queries

    def keyword(
        self,
        query: str,
        principals: Collection[Principal],
        filters: SearchFilters,
        k: int,
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, BM25 score; higher is better) the reader may see."""
        return self._keyword.search(query, sorted(reader_keys(principals)), filters, k)

    def vector(
        self,
        query_vec: Vector,
        model_id: str,
        principals: Collection[Principal],
        filters: SearchFilters,
        k: int,
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, cosine similarity) embedded by ``model_id`` the reader may see."""
        if k < 1:
            return []
        with self._mem_lock:
            memory = self._load()
            vectors = memory.sets.get(model_id)
            if vectors is None:
                vectors = self._load_vectors(memory, model_id)
            if vectors.live() == 0:
                return []
            try:
                query = normalised(query_vec, vectors.dim)[0]
            except ValueError as exc:
                raise InputError(f"bad query vector for model {model_id}: {exc}") from exc
            doc_ok = memory.docs.admitted(memory.acls.admitted(principals))
            key: tuple[int, frozenset[str]] | None = (self._generation, reader_keys(principals))
            if q.has_filters(filters):
                doc_ok = doc_ok & memory.docs.mask(self._filtered_docs(filters))
                key = None
            return vectors.search(query, doc_ok, k, key)

    def _filtered_docs(self, filters: SearchFilters) -> list[str]:
        """Ids of the documents that pass ``filters``."""
        where, params = q.filter_sql("d", filters)
        with self._db_lock:
            sql = f"SELECT document_id FROM documents AS d WHERE {where}"  # noqa: S608
            rows = self._db.execute(sql, params)
            return [r[0] for r in rows]

    def _load(self) -> _Memory:
        """The in-memory side, loading every document's Acl on first use."""
        if self._memory is not None:
            return self._memory
        memory = _Memory()
        with self._db_lock:
            for document_id in self._db.execute("SELECT document_id FROM documents"):
                memory.docs.index(document_id[0])
            for document_id, rows in schema.acl_rows_of(self._db).items():
                slot = memory.docs.index(document_id)
                memory.docs.set_acl(slot, memory.acls.intern_rows(rows))
        self._memory = memory
        return memory

    def _load_vectors(self, memory: _Memory, model_id: str) -> VectorSet:
        """Load every vector of ``model_id`` into one matrix."""
        with self._db_lock:
            row = self._db.execute(
                "SELECT dim FROM chunks WHERE model_id = ? LIMIT 1", (model_id,)
            ).fetchone()
            vectors = VectorSet(int(row[0]) if row else 1)
            if row is None:
                return vectors  # not remembered: the model may appear with the next write
            by_doc: dict[str, tuple[list[str], list[bytes]]] = {}
            for chunk_id, document_id, blob in self._db.execute(
                "SELECT chunk_id, document_id, vector FROM chunks WHERE model_id = ? ORDER BY id",
                (model_id,),
            ):
                ids, blobs = by_doc.setdefault(document_id, ([], []))
                ids.append(chunk_id)
                blobs.append(blob)
        for document_id, (ids, blobs) in by_doc.items():
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(-1, vectors.dim)
            vectors.add(memory.docs.index(document_id), ids, matrix)
        memory.sets[model_id] = vectors
        return vectors

    def fetch(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        """The chunks with these ids, in the order asked (unknown ids are skipped)."""
        with self._db_lock:
            return schema.fetch(self._db, chunk_ids)

    def count(self) -> int:
        """How many chunks the index holds."""
        with self._db_lock:
            return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def model_ids(self) -> set[str]:
        """The embedding models the stored vectors come from."""
        with self._db_lock:
            return {r[0] for r in self._db.execute("SELECT DISTINCT model_id FROM chunks")}

    def close(self) -> None:
        """Close the connection and drop the in-memory vectors."""
        with self._mem_lock, self._db_lock:
            self._memory = None
            self._db.close()
