"""In-memory side of the SQLite index: interned Acls evaluated with numpy, and vector matrices.

``AclTable`` interns each distinct Acl once and evaluates all of them for a reader in a few
vectorised numpy steps (the same rule as :meth:`Acl.admits` and the SQL filter: at least one
clause, every clause meets the reader's principals or ``anyone``); results are cached per
principal set until a new Acl appears. ``VectorSet`` keeps one model's float32 vectors as a
contiguous, capacity-doubling matrix with a liveness flag and owning document per row; removed
rows are flagged dead and compacted away once they outnumber the live ones.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from radex.types import Acl, Principal

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float32]

ANYONE: Final = "anyone"
CLOSED: Final = 0
"""The interned id of the Acl that admits no one (unknown, deleted or malformed documents)."""

_CACHE_SIZE: Final = 256
_MASKS: Final = 32


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
        self._masks: dict[Hashable, tuple[int, Floats]] = {}

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
        self.dead += len(rows)
        if self.dead > max(1024, self.size - self.dead):
            self._compact()

    def live(self) -> int:
        """How many rows are live."""
        return self.size - self.dead

    def search(
        self, query: Floats, doc_ok: Bools, k: int, key: Hashable | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` live rows of admitted documents most similar to ``query``, best first.

        ``key`` (e.g. the index's write generation and the reader) caches the row mask; it
        must change whenever the rows or ``doc_ok`` do.
        """
        n = self.size
        if n == 0 or k < 1:
            return []
        cached = self._masks.get(key) if key is not None else None
        if cached is None:
            allowed = doc_ok[self._doc[:n]]
            allowed &= self._alive[:n]
            count = int(np.count_nonzero(allowed))
            penalty = np.where(allowed, np.float32(0.0), np.float32(-np.inf)).astype(np.float32)
            cached = (count, penalty)
            if key is not None:
                if len(self._masks) >= _MASKS:
                    self._masks.pop(next(iter(self._masks)))
                self._masks[key] = cached
        count, penalty = cached
        if count == 0:
            return []
        scores = self._matrix[:n] @ query
        scores += penalty  # -inf where the reader may not look: masked before ranking
        take = min(k, count)
        top = np.argpartition(scores, n - take)[n - take :] if take < n else np.arange(n)
        top = top[np.argsort(-scores[top], kind="stable")][:take]
        return [(self._ids[i], float(scores[i])) for i in top.tolist()]

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


class DocTable:
    """Documents known to the in-memory side: a dense index per document and its Acl id."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._acl: list[int] = []
        self._array: Ints | None = None

    def index(self, document_id: str) -> int:
        """The dense index of a document, adding it (closed) when new."""
        found = self._index.get(document_id)
        if found is None:
            found = self._index[document_id] = len(self._acl)
            self._acl.append(CLOSED)
            self._array = None
        return found

    def get(self, document_id: str) -> int | None:
        """The dense index of a known document, else None."""
        return self._index.get(document_id)

    def set_acl(self, doc: int, acl_id: int) -> None:
        """Record the interned Acl of a document (CLOSED when it is deleted)."""
        self._acl[doc] = acl_id
        self._array = None

    def admitted(self, acl_ok: Bools) -> Bools:
        """Per document, whether its Acl is among the admitted ones."""
        if self._array is None:
            self._array = np.asarray(self._acl, dtype=np.int32)
        result: Bools = acl_ok[self._array]
        return result

    def mask(self, document_ids: Iterable[str]) -> Bools:
        """A per-document mask that is True for the given (known) documents only."""
        out = np.zeros(len(self._acl), dtype=np.bool_)
        rows = [i for i in map(self._index.get, document_ids) if i is not None]
        out[rows] = True
        return out
