"""The query path's caches: fetched chunks, per-reader row masks (patched after writes), filter
masks, and the exact shortcuts (threshold top-k, looked-up BM25 rows) give what the plain
computation gives, and never outlive a write by this or another connection."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pytest
from index_kit import ADMINS, ALICE, BOB, EMBEDDER, MODEL, NONE, PUBLIC, STAFF, docs_of, put

from radex.index import SqliteIndex, bm25, lexicon, memory, schema
from radex.index.bm25 import MIN_IDF
from radex.index.memory import reader_keys, top
from radex.search.retriever import Retriever
from radex.types import Acl, Principal, SearchFilters


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SqliteIndex]:
    idx = SqliteIndex(tmp_path / "index.db")
    yield idx
    idx.close()


def statements(index: SqliteIndex) -> list[str]:
    """Every SQL statement the index's connection runs from now on."""
    seen: list[str] = []
    index._db.set_trace_callback(seen.append)
    return seen


def test_fetch_serves_cached_chunks_with_one_check(index: SqliteIndex) -> None:
    put(index, "d", ["first text", "second text"])
    first = index.fetch(["d:1", "d:0"])
    seen = statements(index)
    again = index.fetch(["d:0", "d:1", "d:0"])
    assert [s.chunk.id for s in again] == ["d:0", "d:1"]
    assert again[1] is first[0]
    assert seen == ["PRAGMA data_version"]  # no read of the chunks
    assert [s.chunk.id for s in index.fetch(["d:1", "nope"])] == ["d:1"]


def test_fetch_cache_follows_this_connections_writes(index: SqliteIndex) -> None:
    put(index, "d", ["old text"], folder_path="/ENG")
    assert index.fetch(["d:0"])[0].chunk.text == "old text"
    put(index, "d", ["new text"], folder_path="/HR")
    (stored,) = index.fetch(["d:0"])
    assert (stored.chunk.text, stored.doc.folder_path) == ("new text", "/HR")
    index.update_acl("d", Acl.of([[ADMINS]]))
    assert not index.fetch(["d:0"])[0].doc.acl.admits([BOB])
    assert index.fetch(["d:0"])[0].doc.acl.admits([ADMINS])
    index.delete_document("d")
    assert index.fetch(["d:0"]) == []


def test_fetch_cache_follows_another_connections_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    writer, reader = SqliteIndex(path), SqliteIndex(path)
    try:
        put(writer, "d", ["old text"])
        put(writer, "e", ["other text"])
        assert reader.fetch(["d:0", "e:0"])[0].chunk.text == "old text"
        put(writer, "d", ["new text"])
        assert reader.fetch(["d:0"])[0].chunk.text == "new text"
        writer.update_acl("d", Acl.of([[ADMINS]]))
        assert not reader.fetch(["d:0"])[0].doc.acl.admits([BOB])
        writer.delete_document("e")
        assert [s.chunk.id for s in reader.fetch(["d:0", "e:0"])] == ["d:0"]
    finally:
        writer.close()
        reader.close()


def test_fetch_from_memory_equals_the_sql_read_through_writes(tmp_path: Path) -> None:
    """Random replaces (labels, folders, dates, headings), Acl changes and deletes: after
    each, ``fetch`` (from memory) gives exactly what reading the rows from SQL gives."""
    rng = random.Random(5)
    index = SqliteIndex(tmp_path / "f.db")
    acls = [PUBLIC, Acl.of([[ADMINS]]), Acl.of([[STAFF, ALICE], [BOB]]), Acl()]
    dates = [None, datetime(2024, 5, 6, 7, 8, 9, 10), datetime(2024, 1, 2, tzinfo=UTC)]
    dates.append(datetime(2023, 3, 4, 5, tzinfo=timezone(timedelta(hours=-3))))
    with contextlib.suppress(ZoneInfoNotFoundError):  # read back with a fixed offset
        dates.append(datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris")))
    ids = [f"d{n}:{i}" for n in range(12) for i in range(4)] + ["nope", "d1"]
    try:
        assert index.fetch(ids) == []
        for step in range(150):
            doc = f"d{rng.randrange(12)}"
            action = rng.random()
            if action < 0.6:
                texts = [f"text {step} {i} **bold**" for i in range(rng.randint(0, 4))]
                put(
                    index,
                    doc,
                    texts,
                    rng.choice(acls),
                    labels=tuple(rng.sample(["b", "a", "c", "a"], rng.randint(0, 4))),
                    folder_path=rng.choice([None, "", "/ENG/", "/ENG/Ops", "/"]),
                    space_key=rng.choice([None, "", "ENG"]),
                    author_id=rng.choice([None, "u1"]),
                    updated_at=rng.choice(dates),
                )
            elif action < 0.8:
                index.update_acl(doc, rng.choice(acls))
            else:
                index.delete_document(doc)
            if step % 5 == 0:
                index = reopened(index, tmp_path / "f.db")  # loaded afresh from the file
            wanted = rng.sample(ids, 10)
            with index._db_lock:
                want = schema.fetch(index._db, wanted)
            got = index.fetch(wanted)
            assert got == want
            assert [repr(s.doc.updated_at) for s in got] == [repr(s.doc.updated_at) for s in want]
            assert [type(s.chunk.ordinal) for s in got] == [int] * len(got)
    finally:
        index.close()


def reopened(index: SqliteIndex, path: Path) -> SqliteIndex:
    """The same file in a new index, its chunks read into memory at once."""
    index.close()
    again = SqliteIndex(path)
    again.fetch(["d0:0"])
    return again


@pytest.mark.parametrize("other", [False, True], ids=["this connection", "another"])
def test_acl_change_reaches_searches_at_once(tmp_path: Path, other: bool) -> None:
    path = tmp_path / "shared.db"
    writer = SqliteIndex(path)
    reader = SqliteIndex(path) if other else writer
    retriever = Retriever(reader, EMBEDDER)
    try:
        put(writer, "d", ["lantern repair guide"])
        put(writer, "e", ["lantern shop hours"])
        assert {h.document_id for h in retriever.search("lantern repair", [BOB])} == {"d", "e"}
        writer.update_acl("d", Acl.of([[ADMINS]]))
        assert {h.document_id for h in retriever.search("lantern repair", [BOB])} == {"e"}
        hits = retriever.search("lantern repair", [BOB, ADMINS])
        assert {h.document_id for h in hits} == {"d", "e"}
        writer.update_acl("d", Acl.public())
        assert {h.document_id for h in retriever.search("lantern repair", [BOB])} == {"d", "e"}
        assert retriever.dropped == 0  # the pre-filter saw every change: no re-check failed
    finally:
        retriever.close()
        if other:
            reader.close()
        writer.close()


@pytest.mark.parametrize("other", [False, True], ids=["this connection", "another"])
def test_folder_filters_follow_writes(tmp_path: Path, other: bool) -> None:
    path = tmp_path / "shared.db"
    writer = SqliteIndex(path)
    reader = SqliteIndex(path) if other else writer
    query = EMBEDDER.embed_query("tulip bulbs")

    def found(**kw: object) -> tuple[set[str], set[str]]:
        filters = SearchFilters(**kw)  # type: ignore[arg-type]
        lexical = docs_of(reader.keyword("tulip bulbs", [BOB], filters, 10))
        dense = docs_of(reader.vector(query, MODEL, [BOB], filters, 10))
        return lexical, dense

    try:
        put(writer, "d", ["tulip bulbs in autumn"], folder_path="/ENG")
        put(writer, "e", ["tulip bulbs in spring"], folder_path="/HR")
        for _ in range(2):  # the second time from the caches
            assert found(folder_paths=("/ENG",)) == ({"d"}, {"d"})
            assert found(granted_folders=("/HR",)) == ({"e"}, {"e"})
            assert found(granted_folders=()) == (set(), set())
        put(writer, "d", ["tulip bulbs in autumn"], folder_path="/HR/Ops")
        assert found(folder_paths=("/ENG",)) == (set(), set())
        assert found(granted_folders=("/HR",)) == ({"d", "e"}, {"d", "e"})
        assert found(folder_paths=["/HR"]) == ({"d", "e"}, {"d", "e"})  # a list: not hashable
        retriever = Retriever(reader, EMBEDDER)
        hits = retriever.search("tulip bulbs", [BOB], SearchFilters(granted_folders=("/ENG",)))
        assert hits == []
        writer.delete_document("e")
        assert found(granted_folders=("/HR",)) == ({"d"}, {"d"})
    finally:
        if other:
            reader.close()
        writer.close()


RARE = Principal("user", "rare")
POOL = [
    Acl.public(),
    Acl.of([[ADMINS]]),
    Acl.of([[STAFF]]),
    Acl.of([[ADMINS, STAFF], [ALICE]]),
    Acl.of([[STAFF], [ALICE, BOB]]),
    Acl(),
]
READERS = [[BOB], [ALICE], [ADMINS], [STAFF, ALICE], [RARE], [ADMINS, STAFF, ALICE, BOB, RARE]]


@pytest.mark.parametrize("subset", [1, 8, 10**9], ids=["subset", "default", "full"])
@pytest.mark.parametrize("seed", range(4))
def test_patched_row_masks_equal_fresh_ones(
    monkeypatch: pytest.MonkeyPatch, seed: int, subset: int
) -> None:
    """Random replaces, deletes and Acl changes (small limits force log restarts and
    compactions); after each, every reader's legs return exactly the chunks they may see,
    and the same as with filters (whose masks are built afresh)."""
    monkeypatch.setattr(memory, "SUBSET", subset)
    monkeypatch.setattr(lexicon, "SUBSET", subset)
    monkeypatch.setattr(memory, "LOG_LIMIT", 40)
    monkeypatch.setattr(memory, "COMPACT_MIN", 8)
    monkeypatch.setattr(lexicon, "COMPACT_MIN", 8)
    rng = random.Random(seed)
    index = SqliteIndex(":memory:")
    acls: dict[str, Acl] = {}
    sizes: dict[str, int] = {}
    query = EMBEDDER.embed_query("harbour")
    anywhere = SearchFilters(space_keys=("ENG",))
    try:
        for step in range(120):
            doc = f"d{rng.randrange(30)}"
            action = rng.random()
            if action < 0.6 or doc not in acls:
                acl = Acl.of([[RARE]]) if rng.random() < 0.05 else rng.choice(POOL)
                sizes[doc] = rng.randint(1, 4)
                put(index, doc, ["harbour wall"] * sizes[doc], acl, space_key="ENG")
                acls[doc] = acl
            elif action < 0.8:
                acls[doc] = rng.choice(POOL)
                index.update_acl(doc, acls[doc])
            else:
                index.delete_document(doc)
                del acls[doc], sizes[doc]
            if step % 3 and step < 100:
                continue
            for readers in rng.sample(READERS, 3):
                want = {
                    f"{d}:{i}"
                    for d, acl in acls.items()
                    if acl.admits(readers)
                    for i in range(sizes[d])
                }
                for filters in (NONE, anywhere):
                    dense = index.vector(query, MODEL, readers, filters, 1000)
                    lexical = index.keyword("harbour", readers, filters, 1000)
                    assert {c for c, _ in dense} == want
                    assert {c for c, _ in lexical} == want
                    assert len(dense) == len(lexical) == len(want)
    finally:
        index.close()


def test_a_reader_who_sees_few_rows_gets_the_same_ranking(
    monkeypatch: pytest.MonkeyPatch, index: SqliteIndex
) -> None:
    """Searching only the rows a reader may see ranks as masking all the others does."""
    for n in range(40):
        acl = Acl.of([[ALICE]]) if n % 10 == 0 else Acl.of([[ADMINS]])
        put(index, f"d{n}", [f"ferry timetable {n}", f"ferry ticket office {n % 3}"], acl)
    query = EMBEDDER.embed_query("ferry ticket")
    dense = index.vector(query, MODEL, [ALICE], NONE, 5)  # 8 rows of 80: searched alone
    lexical = index.keyword("ferry ticket", [ALICE], NONE, 5)
    assert docs_of(dense) <= {"d0", "d10", "d20", "d30"}
    monkeypatch.setattr(memory, "SUBSET", 10**9)
    monkeypatch.setattr(lexicon, "SUBSET", 10**9)
    masked = index.vector(query, MODEL, [ALICE], NONE, 5)
    assert [c for c, _ in masked] == [c for c, _ in dense]
    assert [s for _, s in masked] == pytest.approx([s for _, s in dense], abs=1e-6)
    assert index.keyword("ferry ticket", [ALICE], NONE, 5) == lexical


@pytest.mark.parametrize("n", [1, 7, 4095, 4096, 20_000])
@pytest.mark.parametrize("seed", range(3))
def test_top_is_exact(n: int, seed: int) -> None:
    gen = np.random.default_rng(seed)
    cases = [
        gen.standard_normal(n).astype(np.float32),
        np.round(gen.standard_normal(n), 1).astype(np.float32),  # many ties
        np.sort(gen.standard_normal(n)).astype(np.float32),  # best rows all at the end
        np.where(gen.random(n) < 0.5, gen.random(n), -np.inf).astype(np.float32),
        np.zeros(n, dtype=np.float32),
    ]
    for scores in cases:
        finite = int(np.isfinite(scores).sum())
        for take in {1, 10, 50, 333, n}:
            take = min(take, finite)
            if take < 1:
                continue
            want = np.lexsort((np.arange(n), -scores))[:take]
            assert top(scores, take).tolist() == want.tolist()


def test_looked_up_rows_score_as_summed_ones() -> None:
    gen = np.random.default_rng(3)
    n = 5000
    for _ in range(20):
        found = []
        for _ in range(gen.integers(1, 4)):
            rows = np.sort(gen.choice(n, gen.integers(1, 3000), replace=False)).astype(np.int32)
            idf = MIN_IDF if gen.random() < 0.3 else float(gen.random() * 5)
            found.append((rows, gen.random(len(rows)) * idf + 1e-9, idf))
        mask = gen.random(n) < 0.05
        allowed = np.flatnonzero(mask).astype(np.int32)
        for k in (1, 10, 50):
            plain_rows, plain_scores = bm25.best(found, mask, k)
            rows, scores = bm25.best(found, mask, k, allowed)
            assert rows.tolist() == plain_rows.tolist()
            if all(idf > MIN_IDF for _, _, idf in found):  # summed in the same order
                assert scores.tolist() == plain_scores.tolist()
            else:  # common phrases are added last when skipped
                assert scores.tolist() == pytest.approx(plain_scores.tolist(), rel=1e-12)


def test_reader_keys_are_the_same_cached_or_not() -> None:
    odd = Principal("anyone", "x")
    readers = [BOB, ADMINS, odd]
    assert reader_keys(frozenset(readers)) == reader_keys(readers) == reader_keys(iter(readers))
    assert reader_keys(frozenset(readers)) == {"user:bob", "group:admins", "anyone"}


def test_a_query_is_made_unit_as_every_vector_is() -> None:
    gen = np.random.default_rng(3)
    cases: list[npt.ArrayLike] = [
        gen.standard_normal(d).astype(np.float32) * s for d in (1, 7, 384) for s in (1e-3, 5)
    ]
    cases += [np.zeros(64, np.float32), [3.0, 4.0], np.arange(10.0)[::2], np.ones((1, 5))]
    for case in cases:
        dim = np.asarray(case).shape[-1]
        assert memory.unit(case, dim).tobytes() == memory.normalised(case, dim)[0].tobytes()
    for bad, dim in (([np.nan, 1.0], 2), ([1.0, 2.0], 3), (np.ones((2, 2, 2)), 2)):
        with pytest.raises(ValueError, match="vectors"):
            memory.unit(bad, dim)
