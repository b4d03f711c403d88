"""The SQLite index's schema, its migration, and reading chunks and Acls back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Final

from radex.errors import InputError
from radex.index.base import IndexDoc, StoredChunk
from radex.index.query import normal_folder
from radex.types import Acl, Chunk

SCHEMA_VERSION: Final = 2
"""2: Confluence principals are scoped by source (``user:<source>:<id>``); a version-1 file's
Acls are dropped on upgrade (every document fails closed) until the store re-sends them."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    external_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    space_key TEXT,
    folder_path TEXT,
    author_id TEXT,
    updated_at TEXT,
    updated_ts REAL
);
CREATE TABLE IF NOT EXISTS doc_labels (
    document_id TEXT NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (document_id, label)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_labels_label ON doc_labels(label, document_id);
CREATE TABLE IF NOT EXISTS acl_clause (
    document_id TEXT NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    clause_no INTEGER NOT NULL,
    PRIMARY KEY (document_id, clause_no)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS acl_member (
    document_id TEXT NOT NULL,
    clause_no INTEGER NOT NULL,
    principal TEXT NOT NULL,
    PRIMARY KEY (document_id, clause_no, principal),
    FOREIGN KEY (document_id, clause_no)
        REFERENCES acl_clause(document_id, clause_no) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    breadcrumb TEXT NOT NULL,
    token_count INTEGER NOT NULL,
    heading TEXT,
    anchor TEXT,
    model_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_model ON chunks(model_id, dim);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(body, title, tokenize='porter unicode61');
"""

CHUNK_COLUMNS: Final = (
    "chunk_id, document_id, ordinal, text, breadcrumb, token_count, heading, anchor"
)
_DOC_COLUMNS: Final = (
    "document_id, external_id, title, url, space_key, folder_path, author_id, updated_at"
)


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Create the schema, upgrade an older file, or refuse one newer than this code."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    if row[0] is None:
        db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(1.0, 2.0)')")
    elif row[0] == 1:  # unscoped principals: drop them (fail closed) and ask for a resync
        db.execute("DELETE FROM acl_member")
        db.execute("DELETE FROM acl_clause")
        db.execute("INSERT OR REPLACE INTO index_meta VALUES ('acls', 'stale')")
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
    elif row[0] != SCHEMA_VERSION:
        raise InputError(
            f"the index at {path} has schema version {row[0]}, "
            f"this RADEX reads version {SCHEMA_VERSION}",
            hint="upgrade RADEX, or delete the index file and re-import",
        )


def acls_stale(db: sqlite3.Connection) -> bool:
    """Whether the documents' Acls were dropped by an upgrade and must be sent again."""
    row = db.execute("SELECT value FROM index_meta WHERE key = 'acls'").fetchone()
    return row is not None and row[0] == "stale"


def acl_rows_of(
    db: sqlite3.Connection, document_ids: Sequence[str] | None = None
) -> dict[str, list[list[str]]]:
    """The stored Acl clauses of the given documents (all when None), as principal strings."""
    sql = (
        "SELECT ac.document_id, ac.clause_no, am.principal FROM acl_clause AS ac"
        " LEFT JOIN acl_member AS am"
        " ON am.document_id = ac.document_id AND am.clause_no = ac.clause_no"
    )
    params: list[str] = []
    if document_ids is not None:
        sql += " WHERE ac.document_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(document_ids)))
    clauses: dict[str, dict[int, list[str]]] = {}
    for document_id, clause_no, principal in db.execute(sql, params):
        members = clauses.setdefault(document_id, {}).setdefault(clause_no, [])
        if principal is not None:
            members.append(principal)
    return {d: [c[n] for n in sorted(c)] for d, c in clauses.items()}


def lexicon_rows(
    db: sqlite3.Connection, slot: Callable[[str], int]
) -> Iterator[tuple[int, str, str, str, str]]:
    """Every chunk as (``slot(document id)``, chunk id, breadcrumb, text, document title), in
    rowid order: what ``chunks_fts`` indexes, for the in-memory keyword lexicon."""
    rows = db.execute(
        "SELECT c.document_id, c.chunk_id, c.breadcrumb, c.text, d.title FROM chunks AS c"
        " JOIN documents AS d ON d.document_id = c.document_id ORDER BY c.id"
    )
    for document_id, chunk_id, breadcrumb, text, title in rows:
        yield slot(document_id), chunk_id, breadcrumb, text, title


def fetch(db: sqlite3.Connection, chunk_ids: Sequence[str]) -> list[StoredChunk]:
    """The chunks with these ids read from SQL, in the order asked (unknown skipped); the
    caller holds the lock. :class:`~radex.index.chunks.ChunkStore` serves the same from memory."""
    wanted = list(dict.fromkeys(c for c in chunk_ids if isinstance(c, str)))
    if not wanted:
        return []
    rows = db.execute(
        f"SELECT {CHUNK_COLUMNS} FROM chunks"  # noqa: S608
        " WHERE chunk_id IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    ).fetchall()
    docs = read_docs(db, sorted({r[1] for r in rows}))
    found = {r[0]: StoredChunk(Chunk(*r), docs[r[1]]) for r in rows if r[1] in docs}
    return [found[c] for c in wanted if c in found]


def read_docs(
    db: sqlite3.Connection, document_ids: Sequence[str] | None = None
) -> dict[str, IndexDoc]:
    """The given documents (all when None) as stored, with their labels and Acls."""
    listed = json.dumps(list(document_ids)) if document_ids is not None else None
    where = " WHERE document_id IN (SELECT value FROM json_each(?))" if listed else ""
    params = (listed,) if listed else ()
    acls = acl_rows_of(db, document_ids)
    labels: dict[str, list[str]] = {}
    for document_id, label in db.execute(
        f"SELECT document_id, label FROM doc_labels{where} ORDER BY document_id, position",  # noqa: S608
        params,
    ):
        labels.setdefault(document_id, []).append(label)
    return {
        d[0]: IndexDoc(
            document_id=d[0],
            external_id=d[1],
            title=d[2],
            url=d[3],
            acl=stored_acl(acls.get(d[0], [])),
            space_key=d[4],
            folder_path=d[5],
            labels=tuple(labels.get(d[0], ())),
            author_id=d[6],
            updated_at=datetime.fromisoformat(d[7]) if d[7] else None,
        )
        for d in db.execute(f"SELECT {_DOC_COLUMNS} FROM documents{where}", params)  # noqa: S608
    }


def as_stored(doc: IndexDoc, rows: list[list[str]]) -> IndexDoc:
    """``doc`` as :func:`read_docs` reads it back once written with the Acl clauses ``rows``
    (:func:`~radex.index.memory.acl_rows`): folder normalised, labels deduplicated, the date
    through its ISO text."""
    updated = doc.updated_at
    return IndexDoc(
        document_id=doc.document_id,
        external_id=doc.external_id,
        title=doc.title,
        url=doc.url,
        acl=stored_acl(rows),
        space_key=doc.space_key,
        folder_path=normal_folder(doc.folder_path) if doc.folder_path else None,
        labels=tuple(dict.fromkeys(doc.labels)),
        author_id=doc.author_id,
        updated_at=datetime.fromisoformat(updated.isoformat()) if updated else None,
    )


def stored_acl(rows: Sequence[Sequence[str]]) -> Acl:
    """The Acl stored as ``rows``; an unreadable principal closes it (fail closed)."""
    return _parsed_acl(tuple(map(tuple, rows)))


@lru_cache(maxsize=4096)
def _parsed_acl(rows: tuple[tuple[str, ...], ...]) -> Acl:
    """:func:`stored_acl` for hashable rows (Acls are immutable, and documents share a few)."""
    try:
        return Acl.from_data(rows)
    except ValueError:
        return Acl((frozenset(),))
