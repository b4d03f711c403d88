"""Ranking for the in-memory keyword index: FTS5's BM25 constants and the top ``k`` rows.

Each query phrase arrives scored (:data:`Scored`: its rows, its contribution to each, its
idf). :func:`best` sums them per row, drops rows outside the reader's mask, and keeps the
``k`` best, ties to the lower (older) row, as FTS5 orders ``rank, rowid``. Given the few rows
a reader may see, it looks them up in each phrase's list instead of summing the lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from radex.index.postings import Bools, Ints

K1: Final = 1.2
B: Final = 0.75
MIN_IDF: Final = 1e-6
"""FTS5's floor for the idf of a phrase in half the rows or more."""

Float64s = npt.NDArray[np.float64]
Scored = tuple[Ints, Float64s, float]
"""A phrase's rows (ascending), its BM25 contribution to each, and its idf."""


def best(
    found: Sequence[Scored], mask: Bools, k: int, allowed: Ints | None = None
) -> tuple[Ints, Float64s]:
    """The ``k`` best rows allowed by ``mask`` and their summed scores, best first.

    ``allowed``, when given, lists the rows ``mask`` allows (ascending): they are looked up in
    each phrase's rows rather than the phrases' rows summed (cheaper when they are few).
    """
    if allowed is not None:
        rows, scores = looked_up(found, allowed)
    else:
        top = _skipping_common(found, mask, k)
        rows, scores = top if top is not None else summed(found, mask)
    if len(rows) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def summed(found: Sequence[Scored], mask: Bools) -> tuple[Ints, Float64s]:
    """The rows allowed by ``mask`` that any phrase matched, with their summed scores."""
    if len(found) == 1:
        rows, scores, _ = found[0]
        allowed = np.take(mask, rows)
        return rows[allowed], scores[allowed]
    total = np.bincount(
        np.concatenate([r for r, _, _ in found]),
        np.concatenate([w for _, w, _ in found]),
        minlength=len(mask),
    )
    rows = np.flatnonzero((total > 0) & mask).astype(np.int32)
    return rows, np.take(total, rows)


def looked_up(found: Sequence[Scored], allowed: Ints) -> tuple[Ints, Float64s]:
    """The ``allowed`` rows (ascending) any phrase matched, with their summed scores (added
    in phrase order, as :func:`summed` adds them)."""
    total = np.zeros(len(allowed), dtype=np.float64)
    for rows, scores, _ in found:
        if not len(rows):
            continue
        at = np.minimum(np.searchsorted(rows, allowed), len(rows) - 1)
        hit = np.take(rows, at) == allowed
        total[hit] += np.take(scores, at[hit])
    matched = np.flatnonzero(total > 0)
    return allowed[matched], total[matched]


def _skipping_common(found: Sequence[Scored], mask: Bools, k: int) -> tuple[Ints, Float64s] | None:
    """Candidates for the top ``k`` with their exact scores, without summing the long lists
    of phrases in half the rows or more (idf at MIN_IDF). Such a phrase adds less than
    ``MIN_IDF · (k1 + 1)`` to any row, so only rows whose other phrases score within that
    bound of the ``k``-th best can be in the top ``k``; their common phrases are looked up.
    None when that does not hold (then every list is summed)."""
    common = [f for f in found if f[2] <= MIN_IDF]
    rare = [f for f in found if f[2] > MIN_IDF]
    if not common or not rare:
        return None
    rows, main = summed(rare, mask)
    if len(rows) < k:
        return None
    kth = float(np.partition(main, len(main) - k)[len(main) - k])
    bound = len(common) * (K1 + 1.0) * MIN_IDF
    if kth < bound:  # rows matching only common phrases might rank
        return None
    near = main >= kth - bound
    rows, total = rows[near], main[near]
    for listed, scores, _ in common:
        at = np.searchsorted(listed, rows)
        at[at == len(listed)] = 0
        hit = listed[at] == rows
        total[hit] += scores[at[hit]]
    return rows, total
