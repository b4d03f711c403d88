"""Weighted reciprocal-rank fusion of ranked id lists (lexical and dense legs of a search).

Each ranking contributes ``weight / (k + rank)`` to every id it holds (rank 1 = best); an id
listed twice in one ranking counts once, at its best rank. Ties are broken by the best rank the
id reached in any ranking, then by the id, so the result is deterministic.

Every search fuses about a hundred ids, so the work stays in C where it can: the contributions
``weight / (k + rank)`` of a ranking's length are computed once (cached), a ranking without
repeated ids is zipped with them, the ids are sorted by score with a bound method as the key,
and the full ``(-score, best rank, id)`` key is only built when two scores are equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from radex.errors import InputError

RRF_K: Final = 60
"""The usual reciprocal-rank constant: larger flattens the difference between ranks."""

LEXICAL_WEIGHT: Final = 0.3
"""Default weight of the keyword (BM25) ranking (DESIGN §3: keeps dense recall, lifts ids)."""

DENSE_WEIGHT: Final = 0.7
"""Default weight of the vector ranking."""


def fuse(
    rankings: Sequence[tuple[Sequence[str], float]], k: int = RRF_K, limit: int | None = None
) -> list[tuple[str, float]]:
    """Ids of all rankings with their fused scores, best first (at most ``limit`` of them)."""
    if k < 1:
        raise InputError(f"the fusion constant k must be at least 1, not {k}")
    if limit is not None and limit < 0:
        raise InputError(f"the fusion limit must not be negative, not {limit}")
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        if not math.isfinite(weight) or weight < 0:
            raise InputError(f"a ranking weight must be a finite number ≥ 0, not {weight}")
        gains = _gains(weight + 0.0, k, len(ids))  # + 0.0: -0.0 adds as 0.0 would
        if len(dict.fromkeys(ids)) == len(ids):
            pairs = zip(ids, gains, strict=True)
        else:  # repeated ids count once, at their first (best) rank
            first = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1), strict=True))
            pairs = zip(first, map(gains.__getitem__, first.values()), strict=True)
        if not scores:  # nothing to add to: 0.0 + gain is the gain
            scores = dict(pairs)
            continue
        get = scores.get
        for item, gain in pairs:
            scores[item] = get(item, 0.0) + gain
    order = sorted(scores, key=scores.__getitem__, reverse=True)  # stable: ties keep order
    if len(set(scores.values())) < len(scores):  # a tie: (-score, best rank, id) decides
        best = _best_ranks(rankings)
        order.sort(key=lambda item: (-scores[item], best[item], item))
    if limit is not None:
        order = order[:limit]
    return [(item, scores[item]) for item in order]


@lru_cache(maxsize=64)
def _gains(weight: float, k: int, length: int) -> tuple[float, ...]:
    """``weight / (k + rank)`` for ranks 1…``length``."""
    return tuple(weight / (k + rank) for rank in range(1, length + 1))


def _best_ranks(rankings: Sequence[tuple[Sequence[str], float]]) -> dict[str, int]:
    """The best rank (1-based) each id reached in any ranking."""
    best: dict[str, int] = {}
    for ids, _ in rankings:
        for rank, item in enumerate(ids, start=1):
            if rank < best.get(item, rank + 1):
                best[item] = rank
    return best
