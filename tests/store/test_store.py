"""The Store on real SQLite: idempotent saves, versions, chunks, vectors, imports, sources."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text
from store_kit import make_chunks, make_doc

from radex.errors import ConfigError, InputError, NotFoundError
from radex.store import Store
from radex.types import Acl

TABLES = ("documents", "document_versions", "chunks", "embeddings")


def snapshot(store: Store) -> dict[str, list[Any]]:
    with store.engine.connect() as conn:
        return {
            t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))  # noqa: S608
            for t in TABLES
        }


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def vectors(n: int, dim: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def test_open_twice_is_idempotent(db_url: str) -> None:
    with Store.open(db_url) as first:
        first.save_document(make_doc(), [])
    with Store.open(db_url) as second:
        assert second.count_documents() == 1
        assert count(second, "alembic_version") == 1


def test_open_creates_the_directory_and_uses_wal(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'a' / 'b' / 'r.db'}") as store:
        assert (tmp_path / "a" / "b" / "r.db").exists()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://x/y", "/var/lib/radex.db"])
def test_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="database URL"):
        Store.open(url)


def test_database_newer_than_the_code_is_refused(db_url: str) -> None:
    with Store.open(db_url) as store, store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    with pytest.raises(ConfigError, match="f00dcafe") as info:
        Store.open(db_url)
    assert "newer RADEX" in str(info.value)


def test_save_document_is_idempotent(store: Store) -> None:
    doc = make_doc()
    chunks = make_chunks(doc, ["alpha beta", "gamma"])
    assert store.save_document(doc, chunks, vectors(2), "m1", {"h": 1}) == "imported"
    before = snapshot(store)
    assert store.save_document(doc, chunks, vectors(2), "m1", {"h": 1}) == "unchanged"
    assert snapshot(store) == before
    assert count(store, "document_versions") == 1
    assert store.document("src1", doc.external_id) == doc
    assert store.document_by_id(doc.id) == doc


def test_new_version_adds_a_row_and_replaces_chunks_and_vectors(store: Store) -> None:
    doc = make_doc()
    store.save_document(doc, make_chunks(doc, ["a", "b", "c"]), vectors(3), "m1")
    v2 = replace(doc, version=2, content_hash="h2", title="Renamed")
    new_chunks = make_chunks(v2, ["only one now"])
    assert store.save_document(v2, new_chunks, vectors(1, seed=7), "m1") == "updated"
    assert count(store, "document_versions") == 2
    assert store.chunks(doc.id) == new_chunks
    assert count(store, "embeddings") == 1
    got = store.chunk_vectors(doc.id, "m1")
    assert got is not None
    np.testing.assert_array_equal(got, vectors(1, seed=7))
    assert store.document_by_id(doc.id) == v2


def test_changed_chunks_without_vectors_drop_the_old_vectors(store: Store) -> None:
    doc = make_doc()
    store.save_document(doc, make_chunks(doc, ["a", "b"]), vectors(2), "m1")
    store.save_document(doc, make_chunks(doc, ["a", "b2"]))
    assert store.chunk_vectors(doc.id, "m1") is None
    assert count(store, "embeddings") == 0


def test_same_chunks_new_vectors_replace_only_that_model(store: Store) -> None:
    doc = make_doc()
    chunks = make_chunks(doc, ["a", "b"])
    store.save_document(doc, chunks, vectors(2), "m1")
    store.save_document(doc, chunks, vectors(2, dim=3, seed=1), "m2")
    assert store.save_document(doc, chunks, vectors(2, seed=5), "m1") == "updated"
    m1, m2 = store.chunk_vectors(doc.id, "m1"), store.chunk_vectors(doc.id, "m2")
    assert m1 is not None
    assert m2 is not None
    np.testing.assert_array_equal(m1, vectors(2, seed=5))
    assert m2.shape == (2, 3)
    assert store.chunk_vectors(doc.id, "nope") is None


def test_same_version_new_hash_refreshes_the_version_row(store: Store) -> None:
    doc = make_doc()
    store.save_document(doc, [])
    store.save_document(replace(doc, content_hash="h-new", markdown_key="k2"), [])
    assert count(store, "document_versions") == 1
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT content_hash, markdown_key FROM document_versions")).one()
    assert tuple(row) == ("h-new", "k2")


def test_save_rejects_bad_input(store: Store) -> None:
    doc = make_doc()
    store.save_document(doc, [])
    with pytest.raises(InputError, match="stored with id"):
        store.save_document(replace(doc, id="other"), [])
    with pytest.raises(InputError, match="shape"):
        store.save_document(doc, make_chunks(doc, ["a"]), vectors(2), "m1")
    with pytest.raises(InputError, match="model_id"):
        store.save_document(doc, make_chunks(doc, ["a"]), vectors(1), None)
    with pytest.raises(InputError, match="belongs to"):
        store.save_document(doc, make_chunks(make_doc(2), ["a"]))


def test_update_document_meta_leaves_chunks_alone(store: Store) -> None:
    doc = make_doc()
    chunks = make_chunks(doc, ["a"])
    store.save_document(doc, chunks, vectors(1), "m1")
    changed = replace(doc, labels=("new",), acl=Acl.public(), title="T2", version=99)
    assert store.update_document_meta(changed) is True
    assert store.update_document_meta(changed) is False
    got = store.document_by_id(doc.id)
    assert got is not None
    assert (got.labels, got.acl, got.title, got.version) == (("new",), Acl.public(), "T2", 1)
    assert store.chunks(doc.id) == chunks
    assert store.chunk_vectors(doc.id, "m1") is not None
    with pytest.raises(NotFoundError):
        store.update_document_meta(replace(doc, id="missing"))


def test_documents_streams_with_filters(store: Store) -> None:
    ops = store.ensure_folder(["ENG", "Ops"], owner="u1", source_id=None)
    eng = store.folder_by_path("/ENG")
    assert eng is not None
    assert ops.parent_id == eng.id
    store.ensure_folder(["ENG_X"], None, None)
    for n in range(450):
        folder = ops.id if n % 3 == 0 else (eng.id if n % 3 == 1 else None)
        space = "ENG" if n % 2 else "HR"
        store.save_document(make_doc(n, space_key=space, folder_id=folder), [])
    stream = store.documents()
    assert inspect.isgenerator(stream)
    assert sum(1 for _ in stream) == 450
    assert sum(1 for _ in store.documents(space_key="HR")) == 225
    assert sum(1 for _ in store.documents(folder_path="/ENG/Ops")) == 150
    assert sum(1 for _ in store.documents(folder_path="ENG/")) == 300
    assert sum(1 for _ in store.documents(folder_path="/ENG_X")) == 0
    assert sum(1 for _ in store.documents(source_id="other")) == 0
    assert store.count_documents() == 450


def test_ensure_folder_is_idempotent(store: Store) -> None:
    a = store.ensure_folder(["ENG", "Ops", "Runbooks"], owner="u1", source_id=None)
    b = store.ensure_folder(["ENG", "Ops", "Runbooks"], owner="someone-else", source_id=None)
    assert a == b
    assert a.path == "/ENG/Ops/Runbooks"
    assert a.owner == "u1"
    assert [f.path for f in store.folders()] == ["/ENG", "/ENG/Ops", "/ENG/Ops/Runbooks"]
    assert store.folder_by_path("/nope") is None
    with pytest.raises(InputError):
        store.ensure_folder(["a/b"], None, None)
    with pytest.raises(InputError):
        store.ensure_folder([], None, None)


def test_import_run_lifecycle(store: Store) -> None:
    first = store.start_import("src1", "space", "ENG", None)
    run = store.start_import("src1", "tree", "12345", None)
    assert run.status == "running"
    assert run.counts["seen"] == 0
    assert run.finished_at is None
    store.record_item(run.id, "1", "One", "imported")
    store.record_item(run.id, "2", "Two", "failed", "conversion failed: bad macro")
    store.record_item(run.id, "3", "Three", "unchanged")
    store.update_import_counts(run.id, {"seen": 3})
    counts = {"seen": 3, "imported": 1, "updated": 0, "unchanged": 1, "failed": 1, "chunks": 7}
    done = store.finish_import(run.id, "done", counts)
    assert done.status == "done"
    assert dict(done.counts) == counts
    assert done.finished_at is not None
    assert done.finished_at >= done.started_at
    assert [i.external_id for i in store.import_items(run.id)] == ["1", "2", "3"]
    failed = store.import_items(run.id, outcome="failed")
    assert [(i.external_id, i.reason) for i in failed] == [("2", "conversion failed: bad macro")]
    assert [r.id for r in store.imports()] == [run.id, first.id]
    assert store.import_run(run.id) == done
    with pytest.raises(NotFoundError):
        store.record_item("missing", "1", None, "imported")
    with pytest.raises(InputError):
        store.finish_import(run.id, "running", {})


def test_datetimes_come_back_aware_utc(store: Store) -> None:
    cest = timezone(timedelta(hours=2))
    when = datetime(2025, 6, 1, 14, 30, 15, 123456, tzinfo=cest)
    doc = make_doc(created_at=when, updated_at=datetime(2025, 6, 2, 9, 0))  # naive = UTC
    store.save_document(doc, [])
    got = store.document_by_id(doc.id)
    assert got is not None
    assert got.created_at is not None
    assert got.updated_at is not None
    assert got.created_at == when
    assert got.created_at.tzinfo == UTC
    assert got.updated_at == datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    run = store.start_import(None, "batch", "upload", None)
    assert run.started_at.tzinfo == UTC


def add(store: Store, name: str, *, replace: bool = False, key: str = "k1") -> Any:
    return store.add_source(
        name, "cloud", "https://acme.atlassian.net", "api_token", b"\x01secret", key,
        ["user:abc", "group:eng"], "abc", "Ada", replace=replace,
    )  # fmt: skip


def test_sources_duplicates_and_replace(store: Store) -> None:
    first = add(store, "acme")
    with pytest.raises(InputError, match="already exists") as info:
        add(store, "acme")
    assert "--replace" in str(info.value)
    replaced = add(store, "acme", replace=True, key="k2")
    assert replaced.id == first.id
    assert replaced.credential_key_id == "k2"
    assert replaced.created_at == first.created_at
    assert replaced.created_at.tzinfo == UTC
    add(store, "beta")
    assert [s.name for s in store.sources()] == ["acme", "beta"]
    assert store.source("acme").principals == ("user:abc", "group:eng")
    with pytest.raises(NotFoundError, match="gamma") as missing:
        store.source("gamma")
    assert "acme, beta" in str(missing.value)
    rotated = store.update_source_credential(first.id, b"\x02new", "k3")
    assert (rotated.credential_ciphertext, rotated.credential_key_id) == (b"\x02new", "k3")
    assert "secret" not in repr(rotated)
    assert store.source_by_id(first.id).credential_key_id == "k3"


def test_delete_document_cascades(store: Store) -> None:
    doc, other = make_doc(1), make_doc(2)
    store.save_document(doc, make_chunks(doc, ["a", "b"]), vectors(2), "m1")
    store.save_document(other, make_chunks(other, ["c"]), vectors(1), "m1")
    assert store.delete_document(doc.id) is True
    assert store.delete_document(doc.id) is False
    assert (count(store, "documents"), count(store, "document_versions")) == (1, 1)
    assert (count(store, "chunks"), count(store, "embeddings")) == (1, 1)


def test_concurrent_saves_from_threads(store: Store) -> None:
    def save(n: int) -> str:
        doc = make_doc(n)
        return store.save_document(doc, make_chunks(doc, ["x", "y"]), vectors(2), "m1")

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(save, range(40)))
    assert outcomes == ["imported"] * 40
    assert count(store, "embeddings") == 80


@pytest.mark.parametrize("memory", [False, True])
def test_writes_while_streaming_documents(tmp_path: Path, memory: bool) -> None:
    url = "sqlite://" if memory else f"sqlite:///{tmp_path / 'r.db'}"
    with Store.open(url) as store:
        for n in range(250):
            store.save_document(make_doc(n), [])
        for doc in store.documents():
            store.update_document_meta(replace(doc, labels=("seen",)))
        assert all(d.labels == ("seen",) for d in store.documents())
