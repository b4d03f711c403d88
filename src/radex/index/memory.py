"""In-memory side of the SQLite index: interned Acls evaluated with numpy, and vector matrices.

``AclTable`` interns each distinct Acl once and evaluates all of them for a reader in a few
vectorised numpy steps (the same rule as :meth:`Acl.admits` and the SQL filter: at least one
clause, every clause meets the reader's principals or ``anyone``); results are cached per
principal set until a new Acl appears. ``DocTable`` gives each document a dense index and its
Acl id, and logs which documents change. ``VectorSet`` keeps one model's float32 vectors as a
contiguous, capacity-doubling matrix with a liveness flag and owning document per row; removed
rows are flagged dead and compacted away once they outnumber the live ones.

Row masks (which rows a reader may see) are cached per reader by :class:`RowMasks` and, after
a write, patched for the rows and documents the write changed (:class:`ChangeLog`) rather
than rebuilt. A reader who may see few rows is served from those rows alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from radex.types import Acl, Principal

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float32]
Indices = npt.NDArray[np.intp]

ANYONE: Final = "anyone"
CLOSED: Final = 0
"""The interned id of the Acl that admits no one (unknown, deleted or malformed documents)."""

_CACHE_SIZE: Final = 256
_MASKS: Final = 32
LOG_LIMIT = 4096
"""Changes a log holds before it starts over (cached masks are then rebuilt, not patched)."""
SUBSET: Final = 8
"""A reader who may see at most 1/SUBSET of the rows is searched over those rows alone."""
_SAMPLE_STEP: Final = 32
COMPACT_MIN = 1024
"""Dead vector rows always tolerated before they are compacted away."""


def principal_key(principal: object) -> str | None:
    """The stored form of a principal, or None when it is not a well-formed one (fail closed)."""
    if not isinstance(principal, Principal):
        return None
    text = str(principal)
    try:
        return text if Principal.parse(text) == principal else None
    except ValueError:
        return None


def reader_keys(principals: Iterable[Principal]) -> frozenset[str]:
    """The reader's principals as stored strings, ``anyone`` included."""
    if isinstance(principals, frozenset):
        return _reader_keys(principals)
    return _keys_of(principals)


@lru_cache(maxsize=_CACHE_SIZE)
def _reader_keys(principals: frozenset[Principal]) -> frozenset[str]:
    """:func:`reader_keys` of a hashable principal set (readers come back query after query)."""
    return _keys_of(principals)


def _keys_of(principals: Iterable[Principal]) -> frozenset[str]:
    keys = {k for k in map(principal_key, principals) if k is not None}
    return frozenset(keys | {ANYONE})


def acl_rows(acl: Acl) -> list[list[str]]:
    """An Acl's clauses as lists of stored principal strings; malformed principals are dropped
    (so their clause can only get stricter) and a clause that ends up empty admits no one."""
    rows = []
    for clause in acl.clauses:
        keys = {k for k in map(principal_key, clause) if k is not None}
        rows.append(sorted(keys))
    return rows


class AclTable:
    """Distinct Acls, interned, with a vectorised "which of them admit this reader"."""

    def __init__(self) -> None:
        self._ids: dict[tuple[tuple[str, ...], ...], int] = {}
        self._principals: dict[str, int] = {}
        self._clause_acl: list[int] = []
        self._member_clause: list[int] = []
        self._member_principal: list[int] = []
        self._clauses_per_acl: list[int] = []
        self._arrays: tuple[Ints, Ints, Ints, Ints] | None = None
        self._cache: dict[frozenset[str], Bools] = {}
        self.intern_rows([])  # CLOSED: no clauses, admits no one

    def __len__(self) -> int:
        return len(self._clauses_per_acl)

    def intern(self, acl: Acl) -> int:
        """The id of ``acl``, adding it when new."""
        return self.intern_rows(acl_rows(acl))

    def intern_rows(self, rows: Sequence[Sequence[str]]) -> int:
        """The id of the Acl stored as ``rows`` (clauses of principal strings)."""
        key = tuple(tuple(sorted(set(r))) for r in rows)
        found = self._ids.get(key)
        if found is not None:
            return found
        acl_id = len(self._clauses_per_acl)
        self._ids[key] = acl_id
        self._clauses_per_acl.append(len(key))
        for clause in key:
            clause_no = len(self._clause_acl)
            self._clause_acl.append(acl_id)
            for principal in clause:
                pid = self._principals.setdefault(principal, len(self._principals))
                self._member_clause.append(clause_no)
                self._member_principal.append(pid)
        self._arrays = None
        self._cache.clear()
        return acl_id

    def admitted(self, keys: frozenset[str]) -> Bools:
        """For every interned Acl, whether it admits a reader holding the principals ``keys``
        (from :func:`reader_keys`)."""
        cached = self._cache.get(keys)
        if cached is not None:
            return cached
        if self._arrays is None:
            self._arrays = (
                np.asarray(self._clause_acl, dtype=np.int32),
                np.asarray(self._member_clause, dtype=np.int32),
                np.asarray(self._member_principal, dtype=np.int32),
                np.asarray(self._clauses_per_acl, dtype=np.int32),
            )
        clause_acl, member_clause, member_principal, per_acl = self._arrays
        held = np.asarray([self._principals[k] for k in keys if k in self._principals], np.int32)
        met = np.zeros(len(clause_acl), dtype=np.bool_)
        met[member_clause[np.isin(member_principal, held)]] = True
        failing = np.bincount(clause_acl[~met], minlength=len(per_acl))
        result: Bools = (failing == 0) & (per_acl > 0)
        result.setflags(write=False)
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[keys] = result
        return result


class ChangeLog:
    """Ids (rows or documents) changed since a mark, for patching what was cached at the mark.

    It starts over (a new epoch, so every older mark is unreadable) when it grows long or when
    ids are renumbered.
    """

    def __init__(self) -> None:
        self.epoch = 0
        self._ids: list[int] = []

    def mark(self) -> tuple[int, int]:
        """Where the log is now."""
        return self.epoch, len(self._ids)

    def since(self, mark: tuple[int, int]) -> list[int] | None:
        """The ids changed since ``mark`` (None when the log has started over since)."""
        epoch, at = mark
        return self._ids[at:] if epoch == self.epoch else None

    def add(self, ids: Iterable[int]) -> None:
        """Note that ``ids`` changed."""
        self._ids.extend(ids)
        if len(self._ids) > LOG_LIMIT:
            self.restart()

    def restart(self) -> None:
        """Forget every change: marks taken before are unreadable from now on."""
        self.epoch += 1
        self._ids = []


@dataclass(frozen=True, slots=True)
class Admitted:
    """Per document, whether the reader may see it (and it passes the filters); the log of
    documents whose Acl changed, and the key row masks are cached under (None: not cached)."""

    ok: Bools
    changes: ChangeLog
    key: Hashable | None


class RowMask:
    """Which rows of a row store one reader may see, as of marks of the store's logs."""

    __slots__ = ("allowed", "count", "docs", "n", "penalty", "rows", "sub", "trail")

    def __init__(self, allowed: Bools, count: int, n: int) -> None:
        self.allowed = allowed  # per row (at least n long); False past n
        self.count = count  # rows allowed
        self.n = n  # rows of the store it covers
        self.trail = (0, 0)  # mark of the store's row log
        self.docs = (0, 0)  # mark of the documents' log
        self.penalty: Floats | None = None  # 0 / -inf per row, for a masked matvec
        self.rows: Ints | None = None  # the allowed rows, ascending
        self.sub: Floats | None = None  # their vectors, gathered

    def allowed_rows(self) -> Ints:
        """The allowed rows, ascending."""
        if self.rows is None:
            self.rows = np.flatnonzero(self.allowed[: self.n]).astype(np.int32)
        return self.rows


class RowMasks:
    """Row masks of a row store (rows tagged by document, flagged dead when removed), cached
    per reader and patched after writes: the store logs the rows it flags dead, the document
    table the documents whose Acl changes, and rows appended since are checked anew."""

    def __init__(self) -> None:
        self.trail = ChangeLog()  # rows flagged dead; restarted when rows are renumbered
        self._cache: dict[Hashable, RowMask] = {}

    def clear(self) -> None:
        """Drop every mask (rows were renumbered)."""
        self._cache.clear()
        self.trail.restart()

    def get(
        self,
        admitted: Admitted,
        doc: Ints,
        alive: Bools,
        n: int,
        rows_of: dict[int, list[int]],
    ) -> RowMask:
        """The mask of the first ``n`` rows for ``admitted`` (``doc``/``alive``: per row, its
        document and liveness; ``rows_of``: each document's live rows)."""
        key = admitted.key
        found = self._cache.get(key) if key is not None else None
        if found is not None and self._patched(found, admitted, doc, alive, n, rows_of):
            return found
        allowed = np.zeros(len(alive), dtype=np.bool_)
        np.take(admitted.ok, doc[:n], out=allowed[:n])
        allowed[:n] &= alive[:n]
        mask = RowMask(allowed, int(np.count_nonzero(allowed[:n])), n)
        mask.trail, mask.docs = self.trail.mark(), admitted.changes.mark()
        if key is not None:
            self._cache.pop(key, None)
            if len(self._cache) >= _MASKS:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = mask
        return mask

    def _patched(
        self,
        mask: RowMask,
        admitted: Admitted,
        doc: Ints,
        alive: Bools,
        n: int,
        rows_of: dict[int, list[int]],
    ) -> bool:
        """Bring ``mask`` up to date in place; False when rebuilding is the better way."""
        dead = self.trail.since(mask.trail)
        docs = admitted.changes.since(mask.docs)
        if dead is None or docs is None or n < mask.n:
            return False
        if not dead and not docs and n == mask.n:
            return True
        touched: list[int] = list(dead)
        for d in set(docs):
            touched.extend(rows_of.get(d, ()))
        if len(touched) + (n - mask.n) > max(64, n // 8):
            return False
        if len(mask.allowed) < n:
            grown = np.zeros(len(alive), dtype=np.bool_)
            grown[: mask.n] = mask.allowed[: mask.n]
            mask.allowed = grown
        rows = np.unique(np.asarray(touched + list(range(mask.n, n)), dtype=np.int64))
        now = np.take(admitted.ok, doc[rows]) & alive[rows]
        before = mask.allowed[rows]
        mask.count += int(np.count_nonzero(now)) - int(np.count_nonzero(before))
        mask.allowed[rows] = now
        if mask.penalty is not None:
            if len(mask.penalty) < n:
                mask.penalty = _penalty(mask.allowed, n)
            else:
                mask.penalty[rows] = np.where(now, np.float32(0.0), np.float32(-np.inf))
        if mask.rows is not None and not np.array_equal(now, before):  # else rows hold
            mask.rows, mask.sub = None, None
        mask.n, mask.trail, mask.docs = n, self.trail.mark(), admitted.changes.mark()
        return True

    def drop_subsets(self, keep: RowMask, budget: int) -> None:
        """Free gathered vectors of other masks, oldest first, until the rest fit ``budget``."""
        used = sum(m.sub.nbytes for m in self._cache.values() if m.sub is not None)
        for mask in self._cache.values():
            if used <= budget:
                return
            if mask is not keep and mask.sub is not None:
                used -= mask.sub.nbytes
                mask.sub = None


def _penalty(allowed: Bools, n: int) -> Floats:
    """0 where allowed, -inf elsewhere, for the first ``n`` rows (room for more)."""
    out = np.full(len(allowed), -np.inf, dtype=np.float32)
    out[:n][allowed[:n]] = 0.0
    return out


def top(scores: Floats, take: int) -> Indices:
    """Indices of the ``take`` highest scores, best first, ties to the lower index; the caller
    makes sure at least ``take`` scores are finite.

    On long arrays a threshold is read off a strided sample first (its j-th best, j chosen so
    that about 4 · take + 32 scores pass), and only the scores at or above it are ranked; the
    result is exact whenever at least ``take`` pass (else every score is ranked).
    """
    n = len(scores)
    if take >= n:
        return np.lexsort((np.arange(n), -scores))[:take]
    if n >= 128 * _SAMPLE_STEP:
        sample = scores[::_SAMPLE_STEP]
        m = len(sample)
        j = min(m, (4 * take + 32) * m // n + 1)
        cut = np.partition(sample, m - j)[m - j]
        if cut > -np.inf:
            found = np.flatnonzero(scores >= cut)
            if len(found) >= take:
                return found[np.lexsort((found, -scores[found]))[:take]]
    cut = scores[np.argpartition(scores, n - take)[n - take]]
    above = np.flatnonzero(scores > cut)  # then the first of the rows tied at the cut
    found = np.concatenate((above, np.flatnonzero(scores == cut)[: take - len(above)]))
    return found[np.lexsort((found, -scores[found]))]


class VectorSet:
    """One embedding model's vectors: a contiguous float32 matrix, rows tagged by document."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.size = 0
        self.dead = 0
        self._matrix: Floats = np.zeros((0, dim), dtype=np.float32)
        self._alive: Bools = np.zeros(0, dtype=np.bool_)
        self._doc: Ints = np.zeros(0, dtype=np.int32)
        self._ids: list[str] = []
        self._rows: dict[int, list[int]] = {}
        self._masks = RowMasks()

    def add(self, doc: int, chunk_ids: Sequence[str], vectors: Floats) -> None:
        """Append a document's rows (vectors already normalised, shape (n, dim))."""
        n = len(chunk_ids)
        if n == 0:
            return
        self._reserve(self.size + n)
        start = self.size
        self._matrix[start : start + n] = vectors
        self._alive[start : start + n] = True
        self._doc[start : start + n] = doc
        self._ids.extend(chunk_ids)
        self._rows.setdefault(doc, []).extend(range(start, start + n))
        self.size += n

    def remove(self, doc: int) -> None:
        """Flag a document's rows dead (compacting when dead rows outnumber live ones)."""
        rows = self._rows.pop(doc, None)
        if not rows:
            return
        self._alive[rows] = False
        self._masks.trail.add(rows)
        self.dead += len(rows)
        if self.dead > max(COMPACT_MIN, self.size - self.dead):
            self._compact()

    def live(self) -> int:
        """How many rows are live."""
        return self.size - self.dead

    def search(self, query: Floats, admitted: Admitted, k: int) -> list[tuple[str, float]]:
        """The ``k`` live rows of admitted documents most similar to ``query``, best first
        (ties to the older row).

        The row mask is cached under ``admitted.key`` and patched after writes. A reader who
        may see at most 1/SUBSET of the rows is scored over those rows alone (their vectors
        gathered once and kept while they fit a quarter of the matrix's bytes); otherwise
        every row is scored and the others pushed to -inf before ranking.
        """
        n = self.size
        if n == 0 or k < 1:
            return []
        mask = self._masks.get(admitted, self._doc, self._alive, n, self._rows)
        if mask.count == 0:
            return []
        take = min(k, mask.count)
        if mask.count * SUBSET <= n:
            rows = mask.allowed_rows()
            sub = mask.sub
            if sub is None:
                sub = np.take(self._matrix, rows, axis=0)
                budget = self._matrix[:n].nbytes // 4
                if sub.nbytes <= budget and admitted.key is not None:
                    mask.sub = sub
                    self._masks.drop_subsets(mask, budget)
            scores = sub @ query
            best = top(scores, take)
            picked: Ints | Indices = rows[best]
            values = scores[best]
        else:
            scores = self._matrix[:n] @ query
            if mask.count < n:
                if mask.penalty is None:
                    mask.penalty = _penalty(mask.allowed, n)
                scores += mask.penalty[:n]  # -inf where the reader may not look
            picked = top(scores, take)
            values = scores[picked]
        ids = self._ids
        return list(zip(map(ids.__getitem__, picked.tolist()), values.tolist(), strict=True))

    def _reserve(self, needed: int) -> None:
        """Grow the arrays to hold at least ``needed`` rows (doubling, amortised O(1))."""
        capacity = len(self._alive)
        if needed <= capacity:
            return
        capacity = max(needed, capacity * 2, 1024)
        matrix = np.zeros((capacity, self.dim), dtype=np.float32)
        matrix[: self.size] = self._matrix[: self.size]
        alive = np.zeros(capacity, dtype=np.bool_)
        alive[: self.size] = self._alive[: self.size]
        docs = np.zeros(capacity, dtype=np.int32)
        docs[: self.size] = self._doc[: self.size]
        self._matrix, self._alive, self._doc = matrix, alive, docs

    def _compact(self) -> None:
        """Drop dead rows, keeping live ones in order."""
        keep = np.flatnonzero(self._alive[: self.size])
        self._matrix = np.ascontiguousarray(self._matrix[keep])
        self._alive = np.ones(len(keep), dtype=np.bool_)
        self._doc = self._doc[keep].copy()
        self._ids = [self._ids[i] for i in keep.tolist()]
        self._rows = {}
        for row, doc in enumerate(self._doc.tolist()):
            self._rows.setdefault(doc, []).append(row)
        self.size, self.dead = len(keep), 0
        self._masks.clear()


def normalised(vectors: npt.ArrayLike, dim: int | None = None) -> Floats:
    """Vectors as a C-contiguous float32 (n, dim) matrix of unit rows (zero rows stay zero).

    Raises ValueError for a wrong shape or dimension, or non-finite values.
    """
    matrix = np.array(vectors, dtype=np.float32, copy=True, ndmin=2)
    if matrix.ndim != 2 or (dim is not None and matrix.shape[1] != dim):
        want = f"(n, {dim})" if dim is not None else "(n, dim)"
        raise ValueError(f"vectors have shape {matrix.shape}, expected {want}")
    if not np.isfinite(matrix).all():
        raise ValueError("vectors hold NaN or infinite values")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.divide(matrix, norms, out=matrix, where=norms > 0)
    return np.ascontiguousarray(matrix)


def unit(vector: npt.ArrayLike, dim: int) -> Floats:
    """``normalised(vector, dim)[0]``: one query vector made unit, by the same float
    operations in fewer numpy calls (a search makes one per query)."""
    query = np.array(vector, dtype=np.float32, copy=True, ndmin=2)
    if query.shape != (1, dim) or not query.flags.c_contiguous:
        row: Floats = normalised(vector, dim)[0]
        return row
    if not np.isfinite(query).all():
        raise ValueError("vectors hold NaN or infinite values")
    norm = np.sqrt(np.add.reduce(query * query, axis=1, keepdims=True))  # as np.linalg.norm
    np.divide(query, norm, out=query, where=norm > 0)
    unit_row: Floats = query[0]
    return unit_row


class DocTable:
    """Documents known to the in-memory side: a dense index per document and its Acl id, and
    a log of the documents whose Acl changes (for patching cached row masks)."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._acl: Ints = np.zeros(0, dtype=np.int32)
        self.size = 0
        self.changes = ChangeLog()

    def __len__(self) -> int:
        return self.size

    def index(self, document_id: str) -> int:
        """The dense index of a document, adding it (closed) when new."""
        found = self._index.get(document_id)
        if found is None:
            found = self._index[document_id] = self.size
            if self.size == len(self._acl):
                grown = np.zeros(max(1024, 2 * self.size), dtype=np.int32)
                grown[: self.size] = self._acl
                self._acl = grown
            self._acl[found] = CLOSED
            self.size += 1
        return found

    def get(self, document_id: str) -> int | None:
        """The dense index of a known document, else None."""
        return self._index.get(document_id)

    def set_acl(self, doc: int, acl_id: int) -> None:
        """Record the interned Acl of a document (CLOSED when it is deleted)."""
        if self._acl[doc] != acl_id:
            self._acl[doc] = acl_id
            self.changes.add((doc,))

    def admitted(self, acl_ok: Bools) -> Bools:
        """Per document, whether its Acl is among the admitted ones."""
        result: Bools = np.take(acl_ok, self._acl[: self.size])
        return result

    def mask(self, document_ids: Iterable[str]) -> Bools:
        """A per-document mask that is True for the given (known) documents only."""
        out = np.zeros(self.size, dtype=np.bool_)
        rows = [i for i in map(self._index.get, document_ids) if i is not None]
        out[rows] = True
        return out
