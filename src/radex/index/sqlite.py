"""The embedded search index: SQLite (WAL) as the store, both search legs served from memory.

Tables: ``documents`` (+ ``doc_labels``), the Acl in CNF as ``acl_clause``/``acl_member``,
``chunks`` (text, breadcrumb, float32 vector blob and its model) and the FTS5 table
``chunks_fts`` (``porter unicode61`` over breadcrumb + text, and the title).

Both legs read a :class:`~radex.index.resident.Resident`, loaded from the file on first use
and updated by every write: the vector leg one contiguous matrix per model, the keyword leg a
:class:`~radex.index.lexicon.Lexicon` that scores FTS5's BM25 with numpy. Each applies a
boolean mask of admitted (and filtered) rows before the top ``k`` are taken. FTS5 stays the
durable keyword index and the fallback (``keyword_memory=False``, or a corpus too large for
the lexicon): its leg materialises the matches in a CTE and keeps those whose Acl admits the
reader with ``EXISTS``/``NOT EXISTS`` (never ``rowid IN``: DESIGN §3).

Threads: one connection (``check_same_thread=False``) serialised by a lock, and a second lock
for the in-memory side, held by both legs; writes hold both (memory first), so both legs see a
write all at once. Other processes may read and write the file (WAL; one writer at a time):
``PRAGMA data_version`` is checked on every search and fetch, and a change made by another
connection reloads the in-memory side, so it never serves a stale Acl or a deleted chunk.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from radex.errors import InputError
from radex.index import query as q
from radex.index import schema
from radex.index.base import IndexDoc, IndexedChunk, SearchIndex, StoredChunk, Vector
from radex.index.lexical import KeywordLeg
from radex.index.memory import Admitted, acl_rows, normalised, reader_keys, unit
from radex.index.resident import Resident
from radex.index.tokens import terms
from radex.types import Acl, Chunk, Principal, SearchFilters


@lru_cache(maxsize=1024)
def query_phrases(query: str) -> tuple[tuple[str, ...], ...]:
    """The query's phrases as index terms, phrases without a term left out (kept for the
    queries asked most recently: the same question often comes back)."""
    return tuple(found for found in map(tuple, map(terms, q.fts_phrases(query))) if found)


class SqliteIndex(SearchIndex):
    """A :class:`SearchIndex` in one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: Path | str, *, keyword_memory: bool = True) -> None:
        self.path = str(path)
        self.keyword_memory = keyword_memory  # False: the keyword leg runs on FTS5
        self._db_lock = threading.RLock()
        self._mem_lock = threading.RLock()
        self._memory: Resident | None = None
        self._pinning = False  # in a pinned() block (set and read under the memory lock)
        self._pinned: Resident | None = None  # the in-memory side checked in that block
        self._generation = 0
        self._touched = False
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
            self._generation += 1  # row masks cached for both legs are stale from here
            self._touched = False
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._touched:  # memory was changed: reread from the file on next use
                    self._memory = None
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _in_memory(self) -> Resident | None:
        """The in-memory side to update in a write (noted, so a failed write drops it)."""
        self._touched = self._memory is not None
        return self._memory

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
            resident = self._in_memory()
            if resident is not None:
                try:
                    resident.put(doc, rows, model_id, [c.chunk for c in chunks], matrix)
                except OverflowError:  # too many terms to keep in memory: FTS5 from now on
                    self.keyword_memory = False

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

    def delete_document(self, document_id: str) -> None:
        """Remove a document and all its chunks (no error when absent)."""
        with self._write():
            self._delete(document_id)
            resident = self._in_memory()
            if resident is not None:
                resident.forget(document_id)

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
            resident = self._in_memory()
            if resident is not None:
                resident.set_acl(document_id, rows)

    # ------------------------------------------------------------------ queries

    def keyword(
        self,
        query: str,
        principals: Collection[Principal],
        filters: SearchFilters,
        k: int,
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, BM25 score; higher is better) the reader may see."""
        if self.keyword_memory:
            q.check_filters(filters)  # refuses malformed filters, as the FTS5 leg does
            phrases = query_phrases(query) if isinstance(query, str) else ()
            if not phrases or k < 1:
                return []
            with self._mem_lock:
                resident = self._current()
                if resident.lexicon is None:
                    with self._reading(resident) as resident:
                        try:
                            resident.load_lexicon(self._db)
                        except OverflowError:  # too many terms to hold: FTS5 from now on
                            self.keyword_memory = False
                if resident.lexicon is not None:
                    admitted = self._admitted(resident, principals, filters)
                    return resident.lexicon.search(phrases, admitted, k)
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
            resident = self._current()
            vectors = resident.sets.get(model_id)
            if vectors is None:
                with self._reading(resident) as resident:
                    vectors = resident.load_vectors(self._db, model_id)
            if vectors.live() == 0:
                return []
            try:
                query = unit(query_vec, vectors.dim)
            except ValueError as exc:
                raise InputError(f"bad query vector for model {model_id}: {exc}") from exc
            return vectors.search(query, self._admitted(resident, principals, filters), k)

    def _admitted(
        self, resident: Resident, principals: Collection[Principal], filters: SearchFilters
    ) -> Admitted:
        """Per document, whether the reader may see it and it passes ``filters``, with the key
        to cache row masks under: the reader (those masks are patched after writes), or with
        filters the reader, the filters and this index's write count (rebuilt after writes;
        not cached when the filters cannot be hashed)."""
        keys = reader_keys(principals)
        admitted = resident.admitted(keys)
        if not q.has_filters(filters):
            return admitted
        passing, cacheable = self._filtered_docs(resident, filters)
        key = (keys, filters, self._generation) if cacheable else None
        return Admitted(admitted.ok & passing, admitted.changes, key)

    def _filtered_docs(
        self, resident: Resident, filters: SearchFilters
    ) -> tuple[npt.NDArray[np.bool_], bool]:
        """Per document, whether it passes ``filters`` (kept until the next write), and
        whether the filters could be cached (hashable)."""
        try:
            found = resident.filtered.get(filters)
        except TypeError:  # a list where a tuple belongs: valid, but not hashable
            return resident.docs.mask(self._filtered_ids(filters)), False
        if found is not None and found[0] == self._generation:
            return found[1], True
        passing = resident.docs.mask(self._filtered_ids(filters))
        passing.setflags(write=False)
        if len(resident.filtered) >= 64:
            resident.filtered.pop(next(iter(resident.filtered)))
        resident.filtered[filters] = (self._generation, passing)
        return passing, True

    def _filtered_ids(self, filters: SearchFilters) -> list[str]:
        """Ids of the documents that pass ``filters``."""
        where, params = q.filter_sql("d", filters)
        with self._db_lock:
            sql = f"SELECT document_id FROM documents AS d WHERE {where}"  # noqa: S608
            rows = self._db.execute(sql, params)
            return [r[0] for r in rows]

    def _current(self) -> Resident:
        """The in-memory side, read again when missing or when another connection has
        written to the file since (``PRAGMA data_version``); the caller holds the memory lock.

        In a :meth:`pinned` block the side checked first is served again unchecked while it
        is still the index's (a failed write or a reload replaces it: then it is checked).
        """
        pinned = self._pinned
        if pinned is not None and pinned is self._memory:
            return pinned
        with self._db_lock:
            resident = self._memory
            if resident is None or resident.version != self._data_version():
                with self._reading(resident or Resident(-1)) as fresh:
                    resident = fresh
        if self._pinning:
            self._pinned = resident
        return resident

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Serve the searches and fetches made in the block from one check of the file.

        The block holds the memory lock, so no write of this process comes in between; a
        write of another process that commits meanwhile is seen by the next search after the
        block (or at once, when a leg has to read the file in the block). One search is then
        one view of the index rather than one per leg and fetch.
        """
        with self._mem_lock:
            outer = self._pinning
            self._pinning = True
            try:
                yield
            finally:
                if not outer:
                    self._pinning, self._pinned = False, None

    @contextmanager
    def _reading(self, resident: Resident) -> Iterator[Resident]:
        """A read transaction (one consistent view of the file) and ``resident``, or a new
        one read in it when the file has changed since ``resident`` was."""
        with self._db_lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("SELECT 1 FROM schema_version").fetchall()  # snapshot taken
                version = self._data_version()
                if version != resident.version:
                    resident = self._memory = Resident.read(self._db, version)
                yield resident
            finally:
                self._db.execute("COMMIT")

    def fetch(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        """The chunks with these ids, in the order asked (unknown ids are skipped).

        Served from memory (:class:`~radex.index.chunks.ChunkStore`, read from the file on
        the first fetch and kept in step with writes): no SQL runs but the check that no
        other connection has written since (``PRAGMA data_version``; if one has, the
        in-memory side is read again first).
        """
        with self._mem_lock:
            resident = self._current()
            store = resident.store
            if store is None:
                with self._reading(resident) as resident:
                    store = resident.store or resident.load_store(self._db)
            return store.get(chunk_ids)

    def _data_version(self) -> int:
        """Changes whenever another connection commits to the file (caller holds the lock)."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

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

    def acls_stale(self) -> bool:
        """Whether an upgrade dropped the documents' Acls (they fail closed until resent)."""
        with self._db_lock:
            return schema.acls_stale(self._db)

    def resync_acls(self, acls: Iterable[tuple[str, Acl]]) -> int:
        """Set every document's Acl from the system of record, then clear the stale mark."""
        n = super().resync_acls(acls)
        with self._write():
            self._db.execute("DELETE FROM index_meta WHERE key = 'acls'")
        return n
