"""Acl semantics: every clause must admit the reader; empty fails closed; anyone admits all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radex.types import Acl, Principal

users = st.sampled_from(["user:a", "user:b", "user:c", "group:eng", "group:sre", "anyone"])
clauses = st.lists(st.frozensets(users.map(Principal.parse), min_size=1), max_size=4)
readers = st.frozensets(users.filter(lambda u: u != "anyone").map(Principal.parse))


@given(clauses, readers)
def test_admits_iff_every_clause_meets_the_reader(raw: list[frozenset[Principal]], who) -> None:  # type: ignore[no-untyped-def]
    acl = Acl.of(raw)
    expected = bool(raw) and all(
        any(p.kind == "anyone" or p in who for p in clause) for clause in raw
    )
    assert acl.admits(who) is expected


@given(clauses, clauses, readers)
def test_narrowing_never_widens(a: list[frozenset[Principal]], b, who) -> None:  # type: ignore[no-untyped-def]
    both = Acl.of(a).narrowed(Acl.of(b))
    assert both.admits(who) == (Acl.of(a).admits(who) and Acl.of(b).admits(who))


def test_empty_acl_admits_no_one_and_public_admits_everyone() -> None:
    assert not Acl().admits([Principal("user", "a")])
    assert Acl.public().admits([])
    assert not Acl.of([[]]).admits([Principal("group", "eng")])


@pytest.mark.parametrize("text", ["user:", "team:x", "bob", ""])
def test_bad_principal_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a principal"):
        Principal.parse(text)


def test_principal_round_trips_through_text() -> None:
    for text in ("user:5b10ac8d", "group:eng", "anyone"):
        assert str(Principal.parse(text)) == text
