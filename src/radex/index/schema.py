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
from radex.types import Acl, Chunk

SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
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

_CHUNK_COLUMNS: Final = (
    "c.chunk_id, c.document_id, c.ordinal, c.text, c.breadcrumb, c.token_count, c.heading,"
    " c.anchor, d.external_id, d.title, d.url, d.space_key, d.folder_path, d.author_id,"
    " d.updated_at"
)


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Create the schema, or check the file's version is one this code reads."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    if row[0] is None:
        db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(1.0, 2.0)')")
    elif row[0] != SCHEMA_VERSION:
        raise InputError(
            f"the index at {path} has schema version {row[0]}, "
            f"this RADEX reads version {SCHEMA_VERSION}",
            hint="rebuild the index (delete the file and re-index)",
        )


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


def fetch(
    db: sqlite3.Connection, chunk_ids: Sequence[str], docs: dict[str, IndexDoc] | None = None
) -> list[StoredChunk]:
    """The chunks with these ids, in the order asked (unknown skipped); caller holds the lock.

    ``docs`` caches documents by id: used when present, filled when not. The caller must
    empty it whenever the file may have changed.
    """
    wanted = list(dict.fromkeys(c for c in chunk_ids if isinstance(c, str)))
    if not wanted:
        return []
    rows = db.execute(
        f"SELECT {_CHUNK_COLUMNS} FROM chunks AS c"  # noqa: S608
        " JOIN documents AS d ON d.document_id = c.document_id"
        " WHERE c.chunk_id IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    ).fetchall()
    cache: dict[str, IndexDoc] = {} if docs is None else docs
    missing = sorted({r[1] for r in rows if r[1] not in cache})
    if missing:
        acls = acl_rows_of(db, missing)
        labels: dict[str, list[str]] = {}
        for document_id, label in db.execute(
            "SELECT document_id, label FROM doc_labels"
            " WHERE document_id IN (SELECT value FROM json_each(?)) ORDER BY position",
            (json.dumps(missing),),
        ):
            labels.setdefault(document_id, []).append(label)
        for r in rows:
            document_id = r[1]
            if document_id not in cache:
                cache[document_id] = IndexDoc(
                    document_id=document_id,
                    external_id=r[8],
                    title=r[9],
                    url=r[10],
                    acl=_acl(acls.get(document_id, [])),
                    space_key=r[11],
                    folder_path=r[12],
                    labels=tuple(labels.get(document_id, ())),
                    author_id=r[13],
                    updated_at=datetime.fromisoformat(r[14]) if r[14] else None,
                )
    found: dict[str, StoredChunk] = {}
    for r in rows:
        chunk = Chunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        found[chunk.id] = StoredChunk(chunk, cache[r[1]])
    return [found[c] for c in wanted if c in found]


def _acl(rows: list[list[str]]) -> Acl:
    """The Acl stored as ``rows``; an unreadable principal closes it (fail closed)."""
    return _parsed_acl(tuple(map(tuple, rows)))


@lru_cache(maxsize=4096)
def _parsed_acl(rows: tuple[tuple[str, ...], ...]) -> Acl:
    """:func:`_acl` for hashable rows (Acls are immutable, and documents share a few)."""
    try:
        return Acl.from_data(rows)
    except ValueError:
        return Acl((frozenset(),))
