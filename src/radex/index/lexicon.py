"""The in-memory keyword index: every chunk's terms, scored with FTS5's BM25 in numpy.

It mirrors the FTS5 table ``chunks_fts`` (body = breadcrumb + text, title; tokenised like
``porter unicode61`` by :mod:`radex.index.tokens`) so the keyword leg needs no SQL. Rows are
chunks in insertion order, tagged with their document's dense index (as in ``VectorSet``),
flagged dead when removed and compacted away once dead rows outnumber live ones. Each row's
term ids also sit in one sequence of positions (body, a gap, title, a gap), which is how
phrases are matched.

Scoring is FTS5's ``bm25(1.0, 2.0)``: for each query phrase with ``n`` matching live rows out
of ``N``, ``idf = ln((N - n + 0.5) / (n + 0.5))`` (at least 1e-6), and a row gains
``idf · f · (k1 + 1) / (f + k1 · (1 - b + b · D / avgdl))`` with ``k1 = 1.2``, ``b = 0.75``,
``f`` the phrase's occurrences in the body plus twice those in the title, ``D`` the row's
token count and ``avgdl`` the mean over live rows. A phrase of several terms (``billing-api``)
matches where its terms follow one another: the rarest term's positions, checked against the
position sequence; those matches are kept until a write adds a row holding one of its terms
(a removed row stays in the lists, dead, until compaction). Each phrase's scored rows are
cached until the next write. Then
(:mod:`radex.index.bm25`) the phrases' contributions are summed with ``np.bincount``, rows the
reader may not see (a per-reader mask, cached and patched after writes) are dropped, and only
then are the top ``k`` taken, so no unreadable row can be returned or crowd out a readable one.
For a reader who may see few rows, those rows are looked up in each phrase's list instead, so
the lists' other rows are never summed. A phrase in half the
rows or more (idf at its floor) adds less than ``1e-6 · (k1 + 1)`` to any row, so when the
other phrases leave ``k`` rows clear of that bound, its long list is only looked up for the
few rows near the cut; the result is the same.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Final, TypeVar

import numpy as np

from radex.index import bm25
from radex.index.bm25 import K1, MIN_IDF, B, Float64s, Scored
from radex.index.memory import SUBSET, Admitted, RowMasks
from radex.index.porter import stem
from radex.index.postings import Bools, Floats, Ints, Postings
from radex.index.tokens import words

TITLE_WEIGHT: Final = 2
GAP: Final = -1
"""The term id of the position between a row's body and title, and after the title."""

_MAX_POSITION: Final = 2**31 - 2
_BLOCK: Final = 6  # positions per block of the owner table: 2**6
_CACHE_ENTRIES: Final = 2_000_000
"""Scored postings kept (12 bytes each) until the next write changes the statistics."""
_MATCH_ENTRIES: Final = 1_000_000
"""Phrase matches kept (8 bytes each) across writes that add none of their terms."""
COMPACT_MIN = 1024
"""Dead rows always tolerated before they are compacted away (with more live rows than that)."""

Row = tuple[int, str, str, str, str]
"""(document index, chunk id, breadcrumb, text, title) of one chunk: its FTS5 body is the
breadcrumb, a blank line and the text."""
_A = TypeVar("_A", Ints, Bools)
_NO_ROWS: Final = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64), 0.0)


def _grown(old: _A, used: int, needed: int) -> _A:
    """``old`` with room for ``needed`` items (doubling), its first ``used`` kept."""
    if needed <= len(old):
        return old
    grown = np.zeros(max(needed, 2 * len(old), 1024), dtype=old.dtype)
    grown[:used] = old[:used]
    return grown


class Lexicon:
    """Chunks' terms for BM25 keyword search, rows tagged by document."""

    def __init__(self) -> None:
        self.postings = Postings()
        self.vocabulary: dict[str, int] = {}  # term -> id
        self._word_ids: dict[str, int] = {}  # unstemmed word -> its term's id
        self.size = 0
        self.dead = 0
        self._doc: Ints = np.zeros(0, dtype=np.int32)
        self._alive: Bools = np.zeros(0, dtype=np.bool_)
        self._length: Ints = np.zeros(0, dtype=np.int32)  # tokens in body + title
        self._start: Ints = np.zeros(1, dtype=np.int32)  # first position; [size] = _next
        self._title: Ints = np.zeros(0, dtype=np.int32)  # first position of the title
        self._seq: Ints = np.zeros(0, dtype=np.int32)  # term id per position
        self._block: Ints = np.zeros(0, dtype=np.int32)  # owner row of position b << _BLOCK
        self._ids: list[str] = []
        self._rows: dict[int, list[int]] = {}
        self._next = 0
        self._tokens = 0  # tokens in live rows
        self._norm: tuple[tuple[int, int, int], Float64s] | None = None
        self._masks = RowMasks()
        self._cache: dict[tuple[int, ...], Scored] = {}
        self._cache_state = (-1, -1, -1)
        self._cached = 0
        self._matches: dict[tuple[int, ...], tuple[Ints, Floats]] = {}  # phrases of 2+ terms
        self._matched = 0

    def live(self) -> int:
        """How many rows are live."""
        return self.size - self.dead

    def _ids_of(self, text: str) -> list[int]:
        """The term ids of ``text``, new terms added to the vocabulary."""
        found = words(text)
        try:  # usually every word was seen before: one look-up each, at C speed
            return list(map(self._word_ids.__getitem__, found))
        except KeyError:
            pass
        out = []
        for word in found:
            term_id = self._word_ids.get(word)
            if term_id is None:
                term = stem(word)
                term_id = self.vocabulary.get(term)
                if term_id is None:
                    term_id = self.vocabulary[term] = len(self.vocabulary)
                self._word_ids[word] = term_id
            out.append(term_id)
        return out

    def load(self, rows: Iterable[Row]) -> None:
        """Bulk-load rows into an empty lexicon (far faster than ``add`` one by one)."""
        assert self.size == 0, "load() is for an empty lexicon"
        seq, bodies, titles, docs = array("i"), array("i"), array("i"), array("i")
        seen: dict[str, list[int]] = {}  # breadcrumbs and titles repeat
        for doc, chunk_id, breadcrumb, text, title in rows:
            in_title = seen.get(title)
            if in_title is None:
                in_title = seen[title] = self._ids_of(title)
            in_crumb = seen.get(breadcrumb)
            if in_crumb is None:
                in_crumb = seen[breadcrumb] = self._ids_of(breadcrumb)
            in_body = in_crumb + self._ids_of(text)
            seq.extend(in_body)
            seq.append(GAP)
            seq.extend(in_title)
            seq.append(GAP)
            bodies.append(len(in_body))
            titles.append(len(in_title))
            docs.append(doc)
            self._ids.append(chunk_id)
            if len(seq) > _MAX_POSITION:
                raise OverflowError("too many tokens for the in-memory keyword index")
        n = len(docs)
        self._reserve(n)
        body_len = np.frombuffer(bodies, dtype=np.int32)
        length = body_len + np.frombuffer(titles, dtype=np.int32)
        np.cumsum(length + 2, out=self._start[1 : n + 1])
        self._doc[:n] = np.frombuffer(docs, dtype=np.int32)
        self._alive[:n] = True
        self._length[:n] = length
        self._title[:n] = self._start[:n] + body_len + 1
        for row, doc in enumerate(self._doc[:n].tolist()):
            self._rows.setdefault(doc, []).append(row)
        self._seq = np.frombuffer(seq, dtype=np.int32).copy()
        self.size, self._next = n, len(self._seq)
        owner = np.repeat(np.arange(n, dtype=np.int32), length + 2)
        title_part = np.arange(self._next, dtype=np.int32) >= self._title[owner]
        weight = np.where(title_part, np.int32(TITLE_WEIGHT), np.int32(1))
        self.postings.build(self._seq, owner, weight, len(self.vocabulary))
        self._tokens = int(length.sum())
        self._index_blocks(0)

    def add(
        self, doc: int, chunk_ids: Sequence[str], bodies: Sequence[tuple[str, str]], title: str
    ) -> None:
        """Append a document's rows: per chunk its id and (breadcrumb, text); the title."""
        if not chunk_ids:
            return
        in_title = self._ids_of(title)
        in_bodies = [self._ids_of(crumb) + self._ids_of(text) for crumb, text in bodies]
        if self._matches:  # phrase matches holding a term of the new rows are out of date
            added = set(in_title).union(*in_bodies)
            for key in [key for key in self._matches if not added.isdisjoint(key)]:
                self._matched -= len(self._matches.pop(key)[0]) + 1
        needed = self._next + sum(len(b) + len(in_title) + 2 for b in in_bodies)
        if needed > _MAX_POSITION and self.dead:
            self._compact()
            needed = self._next + sum(len(b) + len(in_title) + 2 for b in in_bodies)
        if needed > _MAX_POSITION:
            raise OverflowError("too many tokens for the in-memory keyword index")
        self._reserve(self.size + len(chunk_ids))
        self._seq = _grown(self._seq, self._next, needed)
        first = self._next
        for chunk_id, in_body in zip(chunk_ids, in_bodies, strict=True):
            row, start = self.size, self._next
            title_at = start + len(in_body) + 1
            self.postings.append(row, in_body, in_title, start)
            self._seq[start : title_at - 1] = in_body
            self._seq[title_at - 1] = GAP
            self._seq[title_at : title_at + len(in_title)] = in_title
            self._seq[title_at + len(in_title)] = GAP
            self._doc[row], self._alive[row] = doc, True
            self._length[row] = len(in_body) + len(in_title)
            self._title[row] = title_at
            self._next = title_at + len(in_title) + 1
            self._start[row + 1] = self._next
            self._tokens += len(in_body) + len(in_title)
            self._ids.append(chunk_id)
            self._rows.setdefault(doc, []).append(row)
            self.size += 1
        self._index_blocks(first)
        if self.postings.needs_merge():
            self.postings.merge(len(self.vocabulary))

    def remove(self, doc: int) -> None:
        """Flag a document's rows dead (compacting when dead rows outnumber live ones)."""
        rows = self._rows.pop(doc, None)
        if not rows:
            return
        self._alive[rows] = False
        self._masks.trail.add(rows)
        self.dead += len(rows)
        self._tokens -= int(self._length[rows].sum())
        if self.dead > max(COMPACT_MIN, self.live()):
            self._compact()

    def search(
        self, phrases: Sequence[Sequence[str]], admitted: Admitted, k: int
    ) -> list[tuple[str, float]]:
        """The ``k`` best live rows of admitted documents for the phrases (each a list of
        terms), as (chunk id, BM25 score), best first; ties go to the older row.

        The row mask is cached under ``admitted.key`` and patched after writes.
        """
        if self.size == 0 or self.live() == 0 or k < 1:
            return []
        found: list[Scored] = []
        for phrase in phrases:
            ids = tuple(self.vocabulary.get(t, GAP) for t in phrase)
            if ids and GAP not in ids:
                scored = self._scored(ids)
                if len(scored[0]):
                    found.append(scored)
        if not found:
            return []
        n = self.size
        mask = self._masks.get(admitted, self._doc, self._alive, n, self._rows)
        if mask.count == 0:
            return []
        few = mask.count * SUBSET <= n and mask.count < sum(len(f[0]) for f in found)
        rows, scores = bm25.best(found, mask.allowed[:n], k, mask.allowed_rows() if few else None)
        chunk_ids = self._ids
        return list(zip(map(chunk_ids.__getitem__, rows.tolist()), scores.tolist(), strict=True))

    def _scored(self, ids: tuple[int, ...]) -> Scored:
        """The rows holding the phrase of term ``ids``, the phrase's BM25 contribution to
        each, and its idf; cached until the next write."""
        state = (self.size, self.dead, self._tokens)
        if state != self._cache_state:
            self._cache, self._cache_state, self._cached = {}, state, 0
        found = self._cache.get(ids)
        if found is not None:
            return found
        rows, freq = self.postings.rows(ids[0]) if len(ids) == 1 else self._matched_rows(ids)
        if not len(rows):
            return _NO_ROWS
        live = self.live()
        hits = len(rows) if self.dead == 0 else int(np.count_nonzero(self._alive[rows]))
        idf = max(math.log((live - hits + 0.5) / (hits + 0.5)), MIN_IDF) if hits else MIN_IDF
        f = freq.astype(np.float64)
        found = (rows, f * (idf * (K1 + 1.0)) / (f + self._norms_of(rows)), idf)
        while self._cache and self._cached + len(rows) > _CACHE_ENTRIES:  # oldest out first
            self._cached -= len(self._cache.pop(next(iter(self._cache)))[0]) + 1
        if len(rows) < _CACHE_ENTRIES:
            self._cache[ids] = found
            self._cached += len(rows) + 1
        return found

    def _matched_rows(self, ids: tuple[int, ...]) -> tuple[Ints, Floats]:
        """:meth:`_phrase`, kept until a write adds one of its terms."""
        found = self._matches.get(ids)
        if found is None:
            found = self._phrase(ids)
            size = len(found[0]) + 1
            while self._matches and self._matched + size > _MATCH_ENTRIES:  # oldest out first
                self._matched -= len(self._matches.pop(next(iter(self._matches)))[0]) + 1
            if size < _MATCH_ENTRIES:
                self._matches[ids] = found
                self._matched += size
        return found

    def _phrase(self, ids: Sequence[int]) -> tuple[Ints, Floats]:
        """Rows where the terms occur one after the other, with the weighted count."""
        lists = [self.postings.positions(t) for t in ids]
        anchor = min(range(len(ids)), key=lambda i: len(lists[i]))
        starts = lists[anchor] - np.int32(anchor)
        starts = starts[(starts >= 0) & (starts + len(ids) <= self._next)]
        for i, term in enumerate(ids):
            if i != anchor and len(starts):
                starts = starts[np.take(self._seq, starts + np.int32(i)) == term]
        if not len(starts):
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        owner = self._owner(starts)
        weight = np.where(starts >= self._title[owner], TITLE_WEIGHT, 1).astype(np.float32)
        change = np.flatnonzero(owner[1:] != owner[:-1]) + 1
        first = np.concatenate(([0], change))
        return owner[first], np.add.reduceat(weight, first)

    def _owner(self, positions: Ints) -> Ints:
        """The row holding each position: the block table's guess, moved forward."""
        row = np.take(self._block, positions >> _BLOCK)
        while True:
            move = np.take(self._start, row + 1) <= positions
            if not move.any():
                return row
            row += move

    def _index_blocks(self, first: int) -> None:
        """Extend the owner table over the positions from ``first`` on."""
        done = (first + (1 << _BLOCK) - 1) >> _BLOCK
        total = (self._next + (1 << _BLOCK) - 1) >> _BLOCK
        self._block = _grown(self._block, done, total)
        at = np.arange(done, total, dtype=np.int64) << _BLOCK
        found = np.searchsorted(self._start[: self.size + 1], at, side="right") - 1
        self._block[done:total] = found

    def _norms_of(self, rows: Ints) -> Float64s:
        """For ``rows``, ``k1 · (1 - b + b · D / avgdl)``: taken from every row's, computed
        once per write, or (fewer rows than a quarter) computed for these rows alone."""
        state = (self.size, self.dead, self._tokens)
        if self._norm is not None and self._norm[0] == state:
            return np.take(self._norm[1], rows)
        avgdl = self._tokens / self.live() if self._tokens > 0 else 1.0
        if 4 * len(rows) < self.size:
            lengths = np.take(self._length, rows).astype(np.float64)
            return K1 * (1.0 - B + B * lengths / avgdl)  # the same float operations
        lengths = self._length[: self.size].astype(np.float64)
        self._norm = (state, K1 * (1.0 - B + B * lengths / avgdl))
        return np.take(self._norm[1], rows)

    def _reserve(self, needed: int) -> None:
        """Room in the per-row arrays for ``needed`` rows."""
        used = self.size
        self._doc = _grown(self._doc, used, needed)
        self._alive = _grown(self._alive, used, needed)
        self._length = _grown(self._length, used, needed)
        self._title = _grown(self._title, used, needed)
        self._start = _grown(self._start, used + 1, needed + 1)

    def _compact(self) -> None:
        """Drop dead rows and their positions and postings, renumbering both."""
        n = self.size
        keep = self._alive[:n].copy()
        span = np.diff(self._start[: n + 1])
        keep_pos = np.repeat(keep, span)
        new_row = (np.cumsum(keep) - 1).astype(np.int32)
        new_pos = (np.cumsum(keep_pos) - 1).astype(np.int32)
        self.postings.compact(keep, new_row, keep_pos, new_pos, len(self.vocabulary))
        kept = np.flatnonzero(keep)
        self._seq = self._seq[: self._next][keep_pos]
        self._next = len(self._seq)
        self._doc = self._doc[kept]
        self._alive = np.ones(len(kept), dtype=np.bool_)
        self._length = self._length[kept]
        self._title = new_pos[self._title[kept]]
        self._start = np.append(new_pos[self._start[kept]], np.int32(self._next))
        self._ids = [self._ids[i] for i in kept.tolist()]
        self._rows = {}
        for row, doc in enumerate(self._doc.tolist()):
            self._rows.setdefault(doc, []).append(row)
        self.size, self.dead = len(kept), 0
        self._norm = None
        self._masks.clear()
        self._cache, self._cache_state = {}, (-1, -1, -1)
        self._matches, self._matched = {}, 0
        self._index_blocks(0)
