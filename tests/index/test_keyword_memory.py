"""The in-memory keyword leg: FTS5's BM25 exactly, ranking, phrases, writes and staleness."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_kit import ADMINS, BOB, EMBEDDER, MODEL, NONE, docs_of, put

from radex.index import SqliteIndex, lexicon, postings
from radex.types import Acl

WORDS = (  # noqa: SIM905 (a word list)
    "deploy deploys deployment rollback kestrel on-call billing-api ERR-4711 the a running "
    "runs café api billing call on alpha beta gamma x1 v2.3"
).split()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SqliteIndex]:
    idx = SqliteIndex(tmp_path / "index.db")
    yield idx
    idx.close()


def ranked(index: SqliteIndex, query: str, k: int = 10) -> list[str]:
    return [c for c, _ in index.keyword(query, [BOB], NONE, k)]


@pytest.mark.parametrize(
    ("compact_min", "merge_min", "cached"), [(1024, 65_536, 2_000_000), (3, 20, 10), (0, 0, 0)]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scores_equal_fts5_bm25_through_writes(
    monkeypatch: pytest.MonkeyPatch, seed: int, compact_min: int, merge_min: int, cached: int
) -> None:
    """Random replaces, deletes and Acl changes; after each few, every query scores every
    readable match as FTS5 does (small thresholds force merges, compactions and a full
    score cache)."""
    monkeypatch.setattr(lexicon, "COMPACT_MIN", compact_min)
    monkeypatch.setattr(postings, "MERGE_MIN", merge_min)
    monkeypatch.setattr(lexicon, "_CACHE_ENTRIES", cached)
    rng = random.Random(seed)
    memory = SqliteIndex(":memory:")
    fts = SqliteIndex(":memory:", keyword_memory=False)
    fts._keyword.budget = 10**9  # rank every FTS5 match, as the lexicon does
    acls = [Acl.public(), Acl.of([[ADMINS]])]
    try:
        for step in range(150):
            doc = f"d{rng.randrange(40)}"
            action = rng.random()
            if action < 0.75:
                texts = [
                    " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12)))
                    for _ in range(rng.randint(1, 4))
                ]
                title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 3)))
                acl = rng.choice(acls)
                for idx in (memory, fts):
                    put(idx, doc, texts, acl, title=title)
            elif action < 0.9:
                for idx in (memory, fts):
                    idx.delete_document(doc)
            else:
                acl = rng.choice(acls)
                for idx in (memory, fts):
                    idx.update_acl(doc, acl)
            if step % 8:
                continue
            for _ in range(4):
                query = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
                for readers in ([BOB], [ADMINS]):
                    mine = dict(memory.keyword(query, readers, NONE, 1000))
                    theirs = dict(fts.keyword(query, readers, NONE, 1000))
                    assert mine.keys() == theirs.keys(), query
                    for chunk_id, score in mine.items():
                        assert math.isclose(score, theirs[chunk_id], rel_tol=1e-9), query
                    top, their_top = (i.keyword(query, readers, NONE, 3) for i in (memory, fts))
                    assert same_ranking(top, their_top), query
    finally:
        memory.close()
        fts.close()


def same_ranking(mine: list[tuple[str, float]], theirs: list[tuple[str, float]]) -> bool:
    """Equal scores rank by rank, and the same ids wherever no (near) tie makes it arbitrary."""
    if len(mine) != len(theirs):
        return False
    if not all(math.isclose(a[1], b[1], rel_tol=1e-9) for a, b in zip(mine, theirs, strict=True)):
        return False
    scores = [s for _, s in theirs]
    for i, ((a, _), (b, s)) in enumerate(zip(mine, theirs, strict=True)):
        tied = sum(math.isclose(s, t, rel_tol=1e-9) for t in scores) > 1
        if not tied and a != b and i < len(scores) - 1:
            return False
    return True


def test_phrases_in_most_rows_are_looked_up_not_summed(index: SqliteIndex) -> None:
    """ "the" and "on" are in every chunk (idf at its floor): the top 2 still come out exact."""
    for n in range(30):
        put(index, f"d{n}", [f"the dashboard on the wall {n}" + " the" * (n % 4)])
    put(index, "rare", ["on the zebracorn dashboard"])
    fts = SqliteIndex(index.path, keyword_memory=False)
    fts._keyword.budget = 10**9
    try:
        for query in ("the on zebracorn", "dashboard the on", "the on", "the 7 on"):
            for k in (1, 2, 5):
                mine, theirs = (
                    index.keyword(query, [BOB], NONE, k),
                    fts.keyword(query, [BOB], NONE, k),
                )
                assert same_ranking(mine, theirs), (query, k)
    finally:
        fts.close()


def test_exact_identifiers_rank_first(index: SqliteIndex) -> None:
    put(
        index,
        "noise",
        [f"error {n} in the deploy of kestrel, see rollback notes" for n in range(30)],
    )
    put(index, "near", ["ERR-4712 is not ERR 4711 backwards: 4711 err", "kestrel rollback"])
    put(index, "err", ["Deploy failed with ERR-4711 after the migration."])
    put(index, "kes", ["How to run a kestrel deploy rollback safely."])
    assert ranked(index, "ERR-4711")[0] == "err:0"
    assert ranked(index, "kestrel deploy rollback")[0] == "kes:0"
    assert ranked(index, "what does ERR-4711 mean")[0] == "err:0"


def test_a_phrase_needs_its_terms_adjacent_and_in_one_column(index: SqliteIndex) -> None:
    put(index, "adjacent", ["the billing-api service"])
    put(index, "apart", ["billing has an api"], title="x")
    put(index, "reversed", ["api billing"])
    put(index, "across", ["call the billing"], title="api docs")  # body end + title start
    assert docs_of(index.keyword("billing-api", [BOB], NONE, 10)) == {"adjacent"}
    assert docs_of(index.keyword("billing api", [BOB], NONE, 10)) == {
        "adjacent",
        "apart",
        "reversed",
        "across",
    }


def test_the_title_counts_twice(index: SqliteIndex) -> None:
    put(index, "body", ["gazebo plans"], title="Garden")
    put(index, "title", ["plans"], title="Gazebo")
    assert ranked(index, "gazebo") == ["title:0", "body:0"]


def test_another_connection_writes_are_seen_at_once(tmp_path: Path) -> None:
    """A second process's index never serves what the first has since deleted or closed."""
    path = tmp_path / "shared.db"
    writer, reader = SqliteIndex(path), SqliteIndex(path)
    try:
        put(writer, "d", ["orchid care"])
        put(writer, "e", ["orchid soil"])
        query = EMBEDDER.embed_query("orchid")
        assert docs_of(reader.keyword("orchid", [BOB], NONE, 5)) == {"d", "e"}  # loaded now
        assert docs_of(reader.vector(query, MODEL, [BOB], NONE, 5)) == {"d", "e"}
        assert reader.fetch(["d:0"])[0].doc.acl.admits([BOB])
        writer.update_acl("d", Acl.of([[ADMINS]]))
        writer.delete_document("e")
        put(writer, "f", ["orchid light"])
        assert docs_of(reader.keyword("orchid", [BOB], NONE, 5)) == {"f"}
        assert docs_of(reader.vector(query, MODEL, [BOB], NONE, 5)) == {"f"}
        assert docs_of(reader.keyword("orchid", [ADMINS], NONE, 5)) == {"d", "f"}
        assert not reader.fetch(["d:0"])[0].doc.acl.admits([BOB])
        assert reader.fetch(["e:0"]) == []
    finally:
        writer.close()
        reader.close()


def test_writes_after_loading_reach_the_lexicon(index: SqliteIndex) -> None:
    put(index, "d", ["first apple"])
    assert ranked(index, "apple") == ["d:0"]  # the lexicon is loaded here
    put(index, "d", ["only pear"])
    put(index, "e", ["apple pie"], Acl.of([[ADMINS]]))
    assert ranked(index, "apple") == []
    assert ranked(index, "pear") == ["d:0"]
    assert [c for c, _ in index.keyword("apple", [ADMINS], NONE, 5)] == ["e:0"]
    index.delete_document("e")
    assert index.keyword("apple", [ADMINS], NONE, 5) == []


def test_too_many_terms_fall_back_to_fts5(
    monkeypatch: pytest.MonkeyPatch, index: SqliteIndex
) -> None:
    put(index, "d", ["a long enough text about lighthouses"])
    monkeypatch.setattr(lexicon, "_MAX_POSITION", 4)
    assert ranked(index, "lighthouses") == ["d:0"]  # served by FTS5
    assert not index.keyword_memory


def test_memory_grows_past_the_overflow_limit_falls_back(
    monkeypatch: pytest.MonkeyPatch, index: SqliteIndex
) -> None:
    put(index, "d", ["lighthouse"])
    assert ranked(index, "lighthouse") == ["d:0"]  # the lexicon is loaded here
    monkeypatch.setattr(lexicon, "_MAX_POSITION", 6)
    put(index, "e", ["a lighthouse keeper and his lamp"])
    assert not index.keyword_memory
    assert ranked(index, "lighthouse") == ["d:0", "e:0"]
