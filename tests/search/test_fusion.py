"""Weighted reciprocal-rank fusion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radex.errors import InputError
from radex.search.fusion import DENSE_WEIGHT, LEXICAL_WEIGHT, RRF_K, fuse


def test_defaults() -> None:
    assert pytest.approx(0.3) == LEXICAL_WEIGHT
    assert pytest.approx(0.7) == DENSE_WEIGHT
    assert RRF_K == 60


def test_scores_are_weighted_reciprocal_ranks() -> None:
    fused = dict(fuse([(["a", "b"], 0.3), (["b", "c"], 0.7)], k=60))
    assert fused["a"] == pytest.approx(0.3 / 61)
    assert fused["b"] == pytest.approx(0.3 / 62 + 0.7 / 61)
    assert fused["c"] == pytest.approx(0.7 / 62)


def test_agreement_beats_one_strong_leg() -> None:
    order = [i for i, _ in fuse([(["x", "both"], 0.5), (["y", "both"], 0.5)])]
    assert order[0] == "both"


def test_weight_decides_between_legs() -> None:
    order = [i for i, _ in fuse([(["lex"], LEXICAL_WEIGHT), (["dense"], DENSE_WEIGHT)])]
    assert order == ["dense", "lex"]


def test_limit_empty_and_duplicates() -> None:
    assert fuse([]) == []
    assert fuse([([], 1.0)]) == []
    assert [i for i, _ in fuse([(["a", "b", "c"], 1.0)], limit=2)] == ["a", "b"]
    assert fuse([(["a", "b", "c"], 1.0)], limit=0) == []
    dup = dict(fuse([(["a", "a", "b"], 1.0)]))
    assert dup["a"] == pytest.approx(1 / 61)
    assert dup["b"] == pytest.approx(1 / 63)


def test_ties_are_deterministic() -> None:
    assert [i for i, _ in fuse([(["b"], 1.0), (["a"], 1.0)])] == ["a", "b"]
    assert fuse([(["p", "q"], 0.5), (["q", "p"], 0.5)]) == fuse(
        [(["q", "p"], 0.5), (["p", "q"], 0.5)]
    )


@pytest.mark.parametrize(
    ("rankings", "k", "limit"),
    [([(["a"], -1.0)], 60, None), ([(["a"], float("nan"))], 60, None), ([], 0, None), ([], 60, -1)],
)
def test_bad_arguments(rankings: list[tuple[list[str], float]], k: int, limit: int | None) -> None:
    with pytest.raises(InputError):
        fuse(rankings, k=k, limit=limit)


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from("abcdefgh"), unique=True), st.floats(0, 1, allow_nan=False)
        ),
        max_size=4,
    )
)
def test_property_sorted_and_complete(rankings: list[tuple[list[str], float]]) -> None:
    fused = fuse(rankings)
    assert {i for i, _ in fused} == {i for ids, _ in rankings for i in ids}
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)


def reference_fuse(
    rankings: list[tuple[list[str], float]], k: int = RRF_K, limit: int | None = None
) -> list[tuple[str, float]]:
    """Fusion as first written: one pass per ranking, one sort on the full key."""
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    for ids, weight in rankings:
        seen: set[str] = set()
        for rank, item in enumerate(ids, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best[item] = min(best.get(item, rank), rank)
    order = sorted(scores.items(), key=lambda kv: (-kv[1], best[kv[0]], kv[0]))
    return order if limit is None else order[:limit]


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from("abcdefghij"), max_size=12),  # repeats allowed
            st.sampled_from([0.0, -0.0, 0.3, 0.7, 0.5, 1.0, 1e-300]) | st.floats(0, 2),
        ),
        max_size=4,
    ),
    st.integers(1, 100),
    st.none() | st.integers(0, 12),
)
def test_property_same_as_first_written(
    rankings: list[tuple[list[str], float]], k: int, limit: int | None
) -> None:
    got = fuse(rankings, k=k, limit=limit)
    want = reference_fuse(rankings, k=k, limit=limit)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert [repr(s) for _, s in got] == [repr(s) for _, s in want]  # the same floats, bit for bit
