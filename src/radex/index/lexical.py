"""The FTS5 keyword leg of the SQLite index: BM25 in SQL with the Acl applied before the top ``k``.

The index serves keywords from memory (:mod:`radex.index.lexicon`) unless it is built with
``keyword_memory=False`` or the corpus has too many terms to hold; this leg is then used.

BM25 in FTS5 costs a microsecond or two for *every* chunk that matches, so an OR of common
words over 100k chunks takes tens of milliseconds. The leg therefore bounds that work: each
phrase's chunk frequency is probed (counting at most ``budget + 1`` matches, cached), and the
phrases are OR-ed rarest first while their frequencies add up to at most ``budget`` (the
rarest is always kept when it fits). The phrases left out are the common ones, which carry
little BM25 weight. When even the rarest phrase is more common than ``budget`` (a query of
only common words) the newest ``budget`` chunks matching any phrase are ranked instead.

The SQL is one statement: a materialised CTE of the best FTS matches (``ORDER BY rank
LIMIT``), then the chunk and document rows, kept only when the Acl tables admit the reader
(``EXISTS``/``NOT EXISTS``) and the filters hold. When unreadable or filtered matches crowd the
CTE (fewer than ``k`` rows survive and the CTE was full) the statement runs again over every
candidate, so any readable matching chunk can still be returned.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Final

from radex.index import query as q
from radex.types import SearchFilters

RANK_BUDGET: Final = 1000
"""At most this many matching chunks are ranked by BM25 per query."""

_CACHE_SIZE: Final = 20_000


class KeywordLeg:
    """FTS5 keyword search over one connection (callers pass the connection's lock)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        lock: threading.RLock,
        budget: int = RANK_BUDGET,
    ) -> None:
        self._db = db
        self._lock = lock
        self.budget = budget
        self._changes = 0
        self._df: dict[str, tuple[int, int]] = {}  # expression -> (capped df, changes then)

    def changed(self, rows: int) -> None:
        """Note that ``rows`` chunk rows were written or deleted (ages the frequency cache)."""
        self._changes += rows

    def search(
        self, query: str, readers: Sequence[str], filters: SearchFilters, k: int
    ) -> list[tuple[str, float]]:
        """Up to ``k`` (chunk id, BM25 score; higher is better) the readers may see."""
        phrases = q.fts_phrases(query) if isinstance(query, str) else []
        if not phrases or k < 1:
            return []
        acl, acl_params = q.acl_sql("c.document_id", readers)
        where, params = q.filter_sql("d", filters)
        documents = (  # joined only when a filter needs the document row
            "JOIN documents AS d ON d.document_id = c.document_id" if q.has_filters(filters) else ""
        )
        with self._lock:
            try:
                expression, bounded = self._expression(phrases)
                if bounded:
                    source = "SELECT rowid AS id, rank AS score FROM chunks_fts"
                    source += " WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?"
                else:
                    source = "SELECT id, score FROM (SELECT rowid AS id, rank AS score"
                    source += " FROM chunks_fts WHERE chunks_fts MATCH ?"
                    source += f" ORDER BY rowid DESC LIMIT {int(self.budget)})"
                    source += " ORDER BY score LIMIT ?"
                sql = f"""
                    WITH matches AS MATERIALIZED ({source})
                    SELECT c.chunk_id, m.score, (SELECT count(*) FROM matches)
                    FROM matches AS m
                    JOIN chunks AS c ON c.id = m.id
                    {documents}
                    WHERE {acl} AND {where}
                    ORDER BY m.score, c.id LIMIT ?"""  # noqa: S608 (fixed fragments, placeholders)
                pool = 2 * k + 20
                args: list[object] = [expression, pool, *acl_params, *params, k]
                found = self._db.execute(sql, args).fetchall()
                if len(found) < k and (not found or found[0][2] >= pool):
                    # unreadable or filtered matches may have filled the pool: rank them all
                    args[1] = -1
                    found = self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                if "fts5" in str(exc) or "syntax" in str(exc):
                    return []
                raise
        return [(chunk_id, -float(score)) for chunk_id, score, _ in found]

    def _expression(self, phrases: Sequence[str]) -> tuple[str, bool]:
        """The MATCH expression, and whether all its matches fit the ranking budget."""
        counted = sorted((self._frequency(q.quoted(p)), n, p) for n, p in enumerate(phrases))
        chosen: list[tuple[int, str]] = []
        total = 0
        for frequency, n, phrase in counted:
            if total + frequency > self.budget:
                break
            chosen.append((n, phrase))
            total += frequency
        if chosen:
            return " OR ".join(q.quoted(p) for _, p in sorted(chosen)), True
        return " OR ".join(map(q.quoted, phrases)), False

    def _frequency(self, expression: str) -> int:
        """How many chunks match ``expression``, counted up to ``budget + 1`` (cached)."""
        cached = self._df.get(expression)
        if cached is not None and self._changes - cached[1] <= self.budget // 4:
            return cached[0]
        cap = self.budget + 1
        row = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
            (expression, cap),
        ).fetchone()
        if len(self._df) >= _CACHE_SIZE:
            self._df.clear()
        self._df[expression] = (int(row[0]), self._changes)
        return int(row[0])
