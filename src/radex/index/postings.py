"""Inverted lists for the in-memory keyword index: per term, its rows and its token positions.

Two lists per term id, both sorted: the rows holding the term with its weighted frequency
(``f`` = occurrences in the body + 2 × occurrences in the title, the FTS5 ``bm25(1.0, 2.0)``
column weights), and the term's global token positions (for phrases). Bulk data lives in
compressed-row (CSR) numpy arrays: one offsets array per list kind, indexed by term id.
Rows appended later go to a small per-term delta of Python lists, folded into the arrays
once it holds more than 1/16 of the entries (a stable sort of two sorted runs, so about
linear). Rows only ever get larger ids and positions, so base + delta stays sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int32]
Offsets = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]

MERGE_MIN = 65_536
"""Delta entries always tolerated before they are folded into the arrays."""

_EMPTY_I: Final = np.zeros(0, dtype=np.int32)
_EMPTY_F: Final = np.zeros(0, dtype=np.float32)


def _offsets(terms: Ints, vocabulary: int) -> Offsets:
    """CSR offsets (length ``vocabulary + 1``) of entries sorted by term."""
    out = np.zeros(vocabulary + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=vocabulary), out=out[1:])
    return out


def _term_of_entries(offsets: Offsets) -> Ints:
    """The term id of every entry of a CSR list."""
    counts = np.diff(offsets)
    return np.repeat(np.arange(len(counts), dtype=np.int32), counts)


class Postings:
    """Rows (with weighted frequency) and token positions per term id."""

    def __init__(self) -> None:
        self.vocabulary = 0
        self._row_off: Offsets = np.zeros(1, dtype=np.int64)
        self._rows: Ints = _EMPTY_I
        self._freq: Floats = _EMPTY_F
        self._pos_off: Offsets = np.zeros(1, dtype=np.int64)
        self._pos: Ints = _EMPTY_I
        self._d_rows: dict[int, list[int]] = {}
        self._d_freq: dict[int, list[float]] = {}
        self._d_pos: dict[int, list[int]] = {}
        self._delta = 0

    def build(self, sequence: Ints, owner: Ints, weight: Ints, vocabulary: int) -> None:
        """Replace everything by the occurrences in ``sequence`` (a term id per position, any
        negative id a gap), ``owner`` and ``weight`` giving each position's row and weight."""
        at = np.flatnonzero(sequence >= 0)
        keys = (sequence[at].astype(np.int64) << 32) | at  # (term, position): unique
        keys.sort()  # faster than a stable argsort, and the same order
        p = (keys & 0xFFFFFFFF).astype(np.int32)
        t = (keys >> 32).astype(np.int32)
        self._set(t, p, owner[p], weight[p], vocabulary)

    def _set(self, t: Ints, p: Ints, r: Ints, w: Ints, vocabulary: int) -> None:
        """Store occurrences sorted by (term, position) as both CSR lists."""
        self.vocabulary = vocabulary
        self._pos_off = _offsets(t, vocabulary)
        self._pos = np.ascontiguousarray(p, dtype=np.int32)
        if len(t):
            change = np.flatnonzero((t[1:] != t[:-1]) | (r[1:] != r[:-1])) + 1
            starts = np.concatenate(([0], change))
            self._rows = np.ascontiguousarray(r[starts], dtype=np.int32)
            self._freq = np.add.reduceat(w.astype(np.float32), starts)
            self._row_off = _offsets(t[starts], vocabulary)
        else:
            self._rows, self._freq = _EMPTY_I, _EMPTY_F
            self._row_off = np.zeros(vocabulary + 1, dtype=np.int64)
        self._d_rows, self._d_freq, self._d_pos = {}, {}, {}
        self._delta = 0

    def append(self, row: int, body: Sequence[int], title: Sequence[int], start: int) -> None:
        """Add one row: body term ids from position ``start``, then (after a one-position
        gap, so no phrase spans the two) the title's."""
        freq: dict[int, float] = {}
        d_pos = self._d_pos
        for offset, term in enumerate(body):
            d_pos.setdefault(term, []).append(start + offset)
            freq[term] = freq.get(term, 0.0) + 1.0
        title_start = start + len(body) + 1
        for offset, term in enumerate(title):
            d_pos.setdefault(term, []).append(title_start + offset)
            freq[term] = freq.get(term, 0.0) + 2.0
        for term, f in freq.items():
            self._d_rows.setdefault(term, []).append(row)
            self._d_freq.setdefault(term, []).append(f)
        self._delta += len(body) + len(title) + len(freq)

    def needs_merge(self) -> bool:
        """True when the delta has grown past its share of the entries."""
        return self._delta > max(MERGE_MIN, (len(self._pos) + len(self._rows)) // 16)

    def merge(self, vocabulary: int) -> None:
        """Fold the delta into the CSR arrays (``vocabulary``: the current number of terms)."""
        if not self._delta and vocabulary == self.vocabulary:
            return
        pos_terms, positions, _ = self._delta_arrays(self._d_pos)
        row_terms, rows, freqs = self._delta_arrays(self._d_rows, self._d_freq)
        base_pos_terms = _term_of_entries(self._pos_off)
        base_row_terms = _term_of_entries(self._row_off)
        t = np.concatenate((base_pos_terms, pos_terms))
        order = np.argsort(t, kind="stable")  # two sorted runs: a merge, about linear
        self._pos = np.ascontiguousarray(np.concatenate((self._pos, positions))[order])
        self._pos_off = _offsets(t, vocabulary)
        t = np.concatenate((base_row_terms, row_terms))
        order = np.argsort(t, kind="stable")
        self._rows = np.ascontiguousarray(np.concatenate((self._rows, rows))[order])
        self._freq = np.ascontiguousarray(np.concatenate((self._freq, freqs))[order])
        self._row_off = _offsets(t, vocabulary)
        self.vocabulary = vocabulary
        self._d_rows, self._d_freq, self._d_pos = {}, {}, {}
        self._delta = 0

    @staticmethod
    def _delta_arrays(
        delta: dict[int, list[int]], values: dict[int, list[float]] | None = None
    ) -> tuple[Ints, Ints, Floats]:
        """A delta as (term id, value, and float value from ``values``) per entry, by term."""
        keys = sorted(delta)
        terms = np.repeat(np.asarray(keys, dtype=np.int32), [len(delta[k]) for k in keys])
        ints: list[int] = []
        floats: list[float] = []
        for key in keys:
            ints.extend(delta[key])
            if values is not None:
                floats.extend(values[key])
        return (
            terms.astype(np.int32),
            np.asarray(ints, dtype=np.int32),
            np.asarray(floats, dtype=np.float32),
        )

    def compact(
        self, keep_row: Bools, new_row: Ints, keep_pos: Bools, new_pos: Ints, vocabulary: int
    ) -> None:
        """Keep only the rows flagged in ``keep_row`` and the positions in ``keep_pos``,
        renumbered by ``new_row`` and ``new_pos`` (both increasing, so order is kept);
        ``vocabulary``: the current number of terms."""
        self.merge(vocabulary)
        t = _term_of_entries(self._row_off)
        kept = keep_row[self._rows]
        self._rows = new_row[self._rows[kept]]
        self._freq = self._freq[kept]
        self._row_off = _offsets(t[kept], self.vocabulary)
        t = _term_of_entries(self._pos_off)
        kept = keep_pos[self._pos]
        self._pos = new_pos[self._pos[kept]]
        self._pos_off = _offsets(t[kept], self.vocabulary)

    def rows(self, term: int) -> tuple[Ints, Floats]:
        """The rows holding ``term`` (ascending) and its weighted frequency in each."""
        if term < self.vocabulary:
            lo, hi = int(self._row_off[term]), int(self._row_off[term + 1])
            rows, freq = self._rows[lo:hi], self._freq[lo:hi]
        else:
            rows, freq = _EMPTY_I, _EMPTY_F
        extra = self._d_rows.get(term)
        if extra:
            rows = np.concatenate((rows, np.asarray(extra, dtype=np.int32)))
            freq = np.concatenate((freq, np.asarray(self._d_freq[term], dtype=np.float32)))
        return rows, freq

    def positions(self, term: int) -> Ints:
        """The global token positions of ``term``, ascending."""
        if term < self.vocabulary:
            found = self._pos[int(self._pos_off[term]) : int(self._pos_off[term + 1])]
        else:
            found = _EMPTY_I
        extra = self._d_pos.get(term)
        if extra:
            found = np.concatenate((found, np.asarray(extra, dtype=np.int32)))
        return found

    def nbytes(self) -> int:
        """Bytes held by the CSR arrays (the delta not counted)."""
        arrays = (self._row_off, self._rows, self._freq, self._pos_off, self._pos)
        return sum(a.nbytes for a in arrays)
