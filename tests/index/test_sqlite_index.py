"""SqliteIndex on real SQLite files: Acl pre-filter in both legs, filters, writes, safety.

Every test taking the ``index`` fixture runs twice: keyword leg in memory, and on FTS5.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from index_kit import (
    ADMINS,
    ALICE,
    ANYONE,
    BOB,
    EMBEDDER,
    MODEL,
    NONE,
    PUBLIC,
    STAFF,
    chunks_of,
    docs_of,
    make_doc,
    put,
)

from radex.embed.hashing import HashingEmbedder
from radex.errors import InputError
from radex.index import IndexedChunk, SqliteIndex
from radex.types import Acl, Chunk, Principal, SearchFilters


def both(
    index: SqliteIndex,
    query: str,
    readers: Sequence[Principal],
    filters: SearchFilters = NONE,
    k: int = 50,
) -> tuple[set[str], set[str]]:
    """Document ids found by the keyword leg and by the vector leg."""
    lexical = docs_of(index.keyword(query, readers, filters, k))
    dense = docs_of(index.vector(EMBEDDER.embed_query(query), MODEL, readers, filters, k))
    return lexical, dense


@pytest.fixture(params=[True, False], ids=["memory", "fts5"])
def index(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SqliteIndex]:
    """An index file, its keyword leg served from memory or by FTS5."""
    idx = SqliteIndex(tmp_path / "index.db", keyword_memory=request.param)
    yield idx
    idx.close()


def test_schema_wal_and_version(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    SqliteIndex(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="schema version 99"):
        SqliteIndex(path)


def test_a_version_1_index_drops_its_unscoped_acls_until_they_are_resent(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    index = SqliteIndex(path)
    put(index, "pub", ["the deployment runbook"])
    index.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 1")  # as RADEX before scoped principals
    db.execute("DELETE FROM index_meta")
    db.commit()
    db.close()
    index = SqliteIndex(path)
    try:
        assert index.acls_stale()
        assert both(index, "deployment runbook", [ALICE, ANYONE]) == (set(), set())  # closed
        assert index.resync_acls([("pub", Acl.public())]) == 1
        assert not index.acls_stale()
        assert both(index, "deployment runbook", [ALICE]) == ({"pub"}, {"pub"})
    finally:
        index.close()
    assert not SqliteIndex(path).acls_stale()


def test_acl_prefilter_in_both_legs(index: SqliteIndex) -> None:
    put(index, "pub", ["the deployment runbook for billing"])
    put(index, "adm", ["the deployment secrets for billing"], Acl.of([[ADMINS]]))
    put(index, "both", ["deployment of billing"], Acl.of([[ADMINS, STAFF], [ALICE]]))
    put(index, "none", ["deployment billing"], Acl())
    put(index, "empty", ["deployment billing"], Acl.of([[]]))
    assert both(index, "deployment billing", [BOB]) == ({"pub"}, {"pub"})
    assert both(index, "deployment billing", [ADMINS]) == ({"pub", "adm"},) * 2
    assert both(index, "deployment billing", [ALICE, STAFF]) == ({"pub", "both"},) * 2
    assert both(index, "deployment billing", []) == ({"pub"}, {"pub"})
    everyone = [ALICE, BOB, ADMINS, STAFF, ANYONE]
    assert both(index, "deployment billing", everyone) == ({"pub", "adm", "both"},) * 2


def test_malformed_principals_fail_closed(index: SqliteIndex) -> None:
    odd = Principal("anyone", "x")  # not the canonical "anyone": must not open the document
    put(index, "odd", ["quarterly report"], Acl.of([[odd]]))
    assert both(index, "quarterly report", [BOB]) == (set(), set())
    assert both(index, "quarterly report", [odd]) == (set(), set())
    (stored,) = index.fetch(["odd:0"])
    assert not stored.doc.acl.admits([BOB])


def test_crowded_pool_still_returns_readable_matches(index: SqliteIndex) -> None:
    for n in range(12):
        put(index, f"s{n}", ["alpha alpha alpha beta"] * 50, Acl.of([[ADMINS]]))
    put(index, "pub", ["alpha gamma"])
    assert docs_of(index.keyword("alpha", [BOB], NONE, 5)) == {"pub"}
    dense = index.vector(EMBEDDER.embed_query("alpha alpha alpha beta"), MODEL, [BOB], NONE, 5)
    assert docs_of(dense) == {"pub"}


PRINCIPALS = [ALICE, BOB, ADMINS, STAFF, ANYONE]
CLAUSE = st.frozensets(st.sampled_from(PRINCIPALS), max_size=3)
ACL = st.lists(CLAUSE, max_size=3).map(lambda cs: Acl(tuple(cs)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    acls=st.lists(ACL, min_size=1, max_size=6),
    readers=st.frozensets(st.sampled_from(PRINCIPALS[:4]), max_size=4),
    changed=st.integers(0, 5),
    new_acl=ACL,
    keyword_memory=st.booleans(),
)
def test_property_acl_prefilter(
    acls: list[Acl],
    readers: frozenset[Principal],
    changed: int,
    new_acl: Acl,
    keyword_memory: bool,
) -> None:
    index = SqliteIndex(":memory:", keyword_memory=keyword_memory)
    try:
        for n, acl in enumerate(acls):
            put(index, f"d{n}", ["shared words here", f"more shared text {n}"], acl)
        for _ in range(2):  # before and after a permission refresh
            readable = {f"d{n}" for n, acl in enumerate(acls) if acl.admits(readers)}
            lexical, dense = both(index, "shared", list(readers), k=100)
            assert lexical == readable
            assert dense == readable
            for stored in index.fetch([f"d{n}:0" for n in range(len(acls))]):
                assert stored.doc.acl.admits(readers) == (stored.doc.document_id in readable)
            target = changed % len(acls)
            index.update_acl(f"d{target}", new_acl)
            acls[target] = new_acl
    finally:
        index.close()


def test_filters_in_both_legs(index: SqliteIndex) -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    put(index, "eng", ["widget guide"], folder_path="/ENG", space_key="ENG", labels=("howto",))
    put(index, "ops", ["widget ops"], folder_path="/ENG/Ops/", space_key="ENG", author_id="u1")
    put(index, "engx", ["widget x"], folder_path="/ENGX", space_key="ENGX", labels=("faq", "x"))
    put(index, "hr", ["widget hr"], folder_path="/HR", space_key="HR", updated_at=day)
    put(index, "bare", ["widget bare"], updated_at=day - timedelta(days=2))

    def found(**kw: object) -> set[str]:
        lexical, dense = both(index, "widget", [BOB], SearchFilters(**kw))  # type: ignore[arg-type]
        assert lexical == dense
        return set(lexical)

    assert found() == {"eng", "ops", "engx", "hr", "bare"}
    assert found(folder_paths=("/ENG",)) == {"eng", "ops"}
    assert found(folder_paths=("/ENG/",)) == {"eng", "ops"}
    assert found(folder_paths=("/ENG/Ops",)) == {"ops"}
    assert found(folder_paths=("/ENGX", "/HR")) == {"engx", "hr"}
    assert found(folder_paths=("/",)) == {"eng", "ops", "engx", "hr"}
    assert found(space_keys=("ENG",)) == {"eng", "ops"}
    assert found(labels=("faq", "howto")) == {"eng", "engx"}
    assert found(author_ids=("u1",)) == {"ops"}
    assert found(updated_after=day - timedelta(days=1)) == {"hr"}
    assert found(updated_after=day) == set()  # strictly after
    assert found(updated_after=(day - timedelta(days=3)).replace(tzinfo=None)) == {"hr", "bare"}
    assert found(space_keys=("ENG",), labels=("howto",)) == {"eng"}
    assert found(space_keys=("NOPE",)) == set()


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(folder_paths="/ENG"),  # type: ignore[arg-type]
        SearchFilters(folder_paths=("ENG",)),
        SearchFilters(space_keys=("",)),
        SearchFilters(labels=(None,)),  # type: ignore[arg-type]
        SearchFilters(updated_after="2024-01-01"),  # type: ignore[arg-type]
    ],
)
def test_malformed_filters_are_refused(index: SqliteIndex, filters: SearchFilters) -> None:
    put(index, "d", ["widget"])
    with pytest.raises(InputError):
        index.keyword("widget", [BOB], filters, 5)
    with pytest.raises(InputError):
        index.vector(EMBEDDER.embed_query("widget"), MODEL, [BOB], filters, 5)


def test_replace_is_idempotent_and_drops_stale_chunks(index: SqliteIndex) -> None:
    put(index, "d", ["first apple", "second apple", "third apple"])
    assert index.vector(EMBEDDER.embed_query("apple"), MODEL, [BOB], NONE, 10)  # load memory
    put(index, "d", ["first apple", "second apple", "third apple"])
    assert index.count() == 3
    put(index, "d", ["only pear"])
    assert index.count() == 1
    assert index.keyword("apple", [BOB], NONE, 10) == []
    dense = index.vector(EMBEDDER.embed_query("apple"), MODEL, [BOB], NONE, 10)
    assert [c for c, _ in dense] == ["d:0"]
    assert [s.chunk.text for s in index.fetch(["d:0", "d:1"])] == ["only pear"]


def test_replace_is_atomic(index: SqliteIndex) -> None:
    put(index, "d", ["kept text"])
    assert index.vector(EMBEDDER.embed_query("kept"), MODEL, [BOB], NONE, 10)
    bad = chunks_of("d", ["new one", "new two"])
    bad[1] = IndexedChunk(bad[0].chunk, bad[1].vector)  # duplicate chunk id
    with pytest.raises(InputError, match="unique"):
        index.replace_document(make_doc("d"), bad, MODEL)
    assert [s.chunk.text for s in index.fetch(["d:0"])] == ["kept text"]
    assert docs_of(index.keyword("kept", [BOB], NONE, 5)) == {"d"}
    dense = index.vector(EMBEDDER.embed_query("kept text"), MODEL, [BOB], NONE, 5)
    assert [c for c, _ in dense] == ["d:0"]
    other = chunks_of("e", ["x"])
    with pytest.raises(InputError, match="does not belong"):
        index.replace_document(make_doc("d"), other, MODEL)
    nan = [IndexedChunk(other[0].chunk, np.full(64, np.nan, dtype=np.float32))]
    with pytest.raises(InputError, match="NaN"):
        index.replace_document(make_doc("e"), nan, MODEL)
    wrong_dim = [IndexedChunk(other[0].chunk, np.ones(8, dtype=np.float32))]
    with pytest.raises(InputError, match="64-dimensional"):
        index.replace_document(make_doc("e"), wrong_dim, MODEL)
    assert index.count() == 1


def test_update_acl_and_delete_reach_both_legs(index: SqliteIndex) -> None:
    put(index, "d", ["orchid care"])
    put(index, "e", ["orchid soil"])
    assert both(index, "orchid", [BOB]) == ({"d", "e"},) * 2
    index.update_acl("d", Acl.of([[ADMINS]]))
    assert both(index, "orchid", [BOB]) == ({"e"},) * 2
    assert both(index, "orchid", [ADMINS]) == ({"d", "e"},) * 2
    assert index.fetch(["d:0"])[0].doc.acl == Acl.of([[ADMINS]])
    index.update_acl("missing", PUBLIC)  # unknown document: nothing happens
    index.delete_document("e")
    index.delete_document("e")
    assert both(index, "orchid", [ADMINS]) == ({"d"},) * 2
    assert index.count() == 1


def test_persistence_and_lazy_vector_load(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    first = SqliteIndex(path)
    put(first, "d", ["lighthouse keeper"], Acl.of([[STAFF]]), labels=("b", "a"))
    first.close()
    again = SqliteIndex(path)
    try:
        assert both(again, "lighthouse", [STAFF]) == ({"d"},) * 2
        assert both(again, "lighthouse", [BOB]) == (set(), set())
        (stored,) = again.fetch(["d:0"])
        assert stored.doc.labels == ("b", "a")
        assert stored.chunk.heading == "H0"
        assert again.model_ids() == {MODEL}
    finally:
        again.close()


def test_models_are_kept_apart(index: SqliteIndex) -> None:
    put(index, "d", ["granite"])
    other = HashingEmbedder(dim=32)
    chunk = Chunk("e:0", "e", 0, "granite", "", 1)
    vec = other.embed_query("granite")
    index.replace_document(make_doc("e"), [IndexedChunk(chunk, vec)], other.model_id)
    assert index.model_ids() == {MODEL, other.model_id}
    assert docs_of(index.vector(vec, other.model_id, [BOB], NONE, 5)) == {"e"}
    assert docs_of(index.vector(EMBEDDER.embed_query("granite"), MODEL, [BOB], NONE, 5)) == {"d"}
    assert index.vector(vec, "unknown-model", [BOB], NONE, 5) == []
    with pytest.raises(InputError, match="query vector"):
        index.vector(vec, MODEL, [BOB], NONE, 5)  # 32 dims against a 64-dim model


@pytest.mark.parametrize(
    "query",
    [
        '"foo" OR bar* NEAR(',
        ")",
        '"',
        "title: x AND",
        "NOT",
        "a^b {c}",
        "col:*",
        "'; DROP TABLE chunks; --",
        "NEAR(a b, 2)",
        "-",
        "x" * 5000,
        "\x00",
    ],
)
def test_fts_injection_does_not_crash(index: SqliteIndex, query: str) -> None:
    put(index, "d", ["foo bar near title"])
    result = index.keyword(query, [BOB], NONE, 5)
    assert isinstance(result, list)
    assert index.count() == 1


def test_empty_and_punctuation_queries(index: SqliteIndex) -> None:
    put(index, "d", ["something"])
    assert index.keyword("", [BOB], NONE, 5) == []
    assert index.keyword("  ?!. -- ** ", [BOB], NONE, 5) == []
    assert index.keyword("something", [BOB], NONE, 0) == []


def test_partial_matches_rank_and_identifiers_match(index: SqliteIndex) -> None:
    put(index, "both", ["the billing-api rotates keys"])
    put(index, "one", ["keys are rotated monthly"])
    put(index, "ident", ["run billing_api_migrate now"])
    ranked = [c for c, _ in index.keyword("rotate keys billing-api", [BOB], NONE, 5)]
    assert ranked[0] == "both:0"
    assert "one:0" in ranked
    assert [c for c, _ in index.keyword("billing_api_migrate", [BOB], NONE, 5)] == ["ident:0"]
    scores = [s for _, s in index.keyword("rotate keys", [BOB], NONE, 5)]
    assert scores == sorted(scores, reverse=True)


def test_fetch_order_and_unknown_ids(index: SqliteIndex) -> None:
    when = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    put(index, "d", ["a", "b"], space_key="ENG", folder_path="/ENG", updated_at=when)
    got = index.fetch(["d:1", "nope", "d:0", "d:1"])
    assert [s.chunk.id for s in got] == ["d:1", "d:0"]
    assert got[0].doc.updated_at == when
    assert got[0].doc.space_key == "ENG"
    assert got[0].doc.folder_path == "/ENG"
    assert index.fetch([]) == []


def test_threads_read_while_one_writes(index: SqliteIndex) -> None:
    for n in range(20):
        put(index, f"d{n}", [f"river stone {n}"])
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(30):
                assert both(index, "river", [BOB], k=5)[0]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for n in range(20, 50):
        put(index, f"d{n}", [f"river stone {n}"])
    for t in readers:
        t.join()
    assert errors == []
    assert index.count() == 50


def test_fts5_ranking_budget_keeps_rare_phrases_and_ranks_common_ones(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "fts.db", keyword_memory=False)  # the FTS5 keyword leg
    index._keyword.budget = 5  # a tiny budget: "common" means in more than 5 chunks
    for n in range(8):
        put(index, f"c{n}", [f"common words everywhere {n}"], Acl.of([[ADMINS]]) if n else PUBLIC)
    put(index, "rare", ["common zanzibar"])
    assert [c for c, _ in index.keyword("common zanzibar", [BOB], NONE, 5)] == ["rare:0"]
    # only common phrases: the newest 5 matches are ranked (c0 is older), the Acl still applies
    assert docs_of(index.keyword("common everywhere", [BOB], NONE, 5)) == {"rare"}
    assert docs_of(index.keyword("common everywhere", [ADMINS], NONE, 9)) == {
        "rare",
        "c7",
        "c6",
        "c5",
        "c4",
    }
    assert docs_of(index.keyword("common", [ADMINS], SearchFilters(space_keys=("X",)), 5)) == set()
    index.close()
