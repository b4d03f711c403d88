"""Weighted reciprocal-rank fusion of ranked id lists (lexical and dense legs of a search).

Each ranking contributes ``weight / (k + rank)`` to every id it holds (rank 1 = best); an id
listed twice in one ranking counts once, at its best rank. Ties are broken by the best rank the
id reached in any ranking, then by the id, so the result is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    best: dict[str, int] = {}
    for ids, weight in rankings:
        if not math.isfinite(weight) or weight < 0:
            raise InputError(f"a ranking weight must be a finite number ≥ 0, not {weight}")
        seen: set[str] = set()
        for rank, item in enumerate(ids, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best[item] = min(best.get(item, rank), rank)
    order = sorted(scores.items(), key=lambda kv: (-kv[1], best[kv[0]], kv[0]))
    return order if limit is None else order[:limit]
