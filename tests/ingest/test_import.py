"""Import end to end against the emulator over loopback HTTP: idempotence, changes, bad input."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ingest_kit import (
    CountingEmbedder,
    admin_credential,
    make_emulator,
    run_import,
    sample_with_extras,
    served,
    services,
)

from radex.app import Services
from radex.confluence.auth import ApiToken
from radex.confluence.emulator.app import Emulator
from radex.errors import AuthError, NotFoundError, RadexError, TransientError
from radex.ingest.plan import ImportTarget
from radex.store.records import SourceRecord
from radex.types import Document, Principal


@pytest.fixture(scope="module")
def fixture_data() -> dict[str, Any]:
    return sample_with_extras()


@pytest.fixture(params=["cloud", "dc"])
def site(
    request: pytest.FixtureRequest, fixture_data: dict[str, Any]
) -> Iterator[tuple[Emulator, str]]:
    emu = make_emulator(fixture_data, request.param)
    with served(emu) as url:
        yield emu, url


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    s = services(tmp_path / "home")
    counting = CountingEmbedder(s.embedder)
    s.__dict__["embedder"] = counting  # the cached property, replaced by the counting wrapper
    yield s
    s.close()


def connect(svc: Services, emu: Emulator, url: str) -> SourceRecord:
    return asyncio.run(svc.sources.connect("test", url, admin_credential(emu)))


def table_rows(svc: Services) -> dict[str, Any]:
    """Every row of the tables an import writes content to, for before/after comparisons."""
    out = {}
    with svc.store.engine.connect() as conn:
        for table in ("documents", "document_versions", "chunks", "embeddings", "folders"):
            query = sa.text(f"select * from {table}")  # noqa: S608 - fixed table names
            out[table] = sorted(map(tuple, conn.execute(query)))
    return out


def pages(svc: Services, space: str) -> dict[str, Document]:
    """The imported pages and blog posts of a space by title."""
    return {
        d.title: d for d in svc.store.documents(space_key=space) if d.type in ("page", "blogpost")
    }


def embedded(svc: Services) -> int:
    return svc.embedder.texts  # type: ignore[attr-defined, no-any-return]


def test_space_import_then_reimport_writes_nothing(
    svc: Services, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    first = run_import(svc, source, ImportTarget.space("ENG"))
    eng = [
        c
        for c in emu.site.content.values()
        if c.space_key == "ENG" and c.type in ("page", "blogpost") and c.status == "current"
    ]
    assert first.ok, first.failures
    extras = [c for c in emu.site.content.values() if c.parent_id in {e.id for e in eng}]
    attachments = [c for c in extras if c.type == "attachment" and c.status == "current"]
    comments = [c for c in extras if c.type == "comment" and c.status == "current"]
    assert first.run.counts["imported"] == len(eng)
    assert first.run.counts["attachments_imported"] == len(attachments) > 0
    assert first.run.counts["comments_imported"] == len(comments) > 0
    assert svc.store.count_documents() == len(eng) + len(attachments) + len(comments)
    assert embedded(svc) == first.run.counts["chunks"] > len(eng)

    before = table_rows(svc)
    second = run_import(svc, source, ImportTarget.space("ENG"))
    assert second.run.counts["unchanged"] == len(eng)
    assert second.run.counts["imported"] == second.run.counts["updated"] == 0
    assert second.run.counts["attachments_unchanged"] == len(attachments)
    assert second.run.counts["comments_unchanged"] == len(comments)
    assert embedded(svc) == first.run.counts["chunks"]  # nothing embedded again
    assert table_rows(svc) == before


class Recorded:
    """A Progress that keeps each stage's total and how far it came."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}

    def total(self, stage: str, total: int) -> None:
        self.totals[stage] = total

    def expect(self, stage: str, n: int) -> None:
        self.totals[stage] = self.totals.get(stage, 0) + n

    def advance(self, stage: str, n: int = 1) -> None:
        self.done[stage] = self.done.get(stage, 0) + n


def test_progress_totals_match_what_each_stage_did(
    svc: Services, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    progress = Recorded()
    report = run_import(svc, source, ImportTarget.space("ENG"), progress)
    assert report.ok, report.failures
    counts = report.run.counts
    pages = counts["imported"]
    items = pages + counts["attachments_imported"] + counts["comments_imported"]
    assert progress.done == progress.totals
    assert progress.totals == {
        "listed": pages,
        "fetched": pages,
        "converted": pages,
        "embedded": items,  # attachments and comments are embedded too
    }


def test_folders_mirror_the_page_tree(svc: Services, site: tuple[Emulator, str]) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    run_import(svc, source, ImportTarget.space("ENG"))
    paths = {f.path for f in svc.store.folders()}
    assert "/ENG" in paths
    assert "/ENG/Engineering Handbook/On-call and incidents" in paths
    docs = pages(svc, "ENG")
    sev = docs["Incident severity levels"]
    folder = next(f for f in svc.store.folders() if f.id == sev.folder_id)
    assert folder.path == "/ENG/Engineering Handbook/On-call and incidents"
    assert [a.title for a in sev.ancestors] == ["Engineering Handbook", "On-call and incidents"]
    assert "severity" in sev.labels
    assert sev.url.startswith(url.split("/wiki")[0])


def test_a_changed_page_reimports_only_itself(svc: Services, site: tuple[Emulator, str]) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    run_import(svc, source, ImportTarget.space("ENG"))
    docs = pages(svc, "ENG")
    target = docs["Rollback procedure"]

    async def edit() -> None:
        async with svc.sources.open(source) as client:
            page = await client.page(target.external_id)
            body = (page.body or "") + "<p>Rollbacks of the ledger need a second pair of eyes.</p>"
            await client.update_page(page.id, version=page.version.number, body=body)

    asyncio.run(edit())
    before = embedded(svc)
    again = run_import(svc, source, ImportTarget.space("ENG"))
    assert again.run.counts["updated"] == 1
    assert again.run.counts["unchanged"] == len(docs) - 1
    stored = svc.store.document(source.id, target.external_id)
    assert stored is not None
    assert stored.version == target.version + 1
    new_chunks = svc.store.chunks(target.id)
    assert embedded(svc) - before == len(new_chunks)
    hits = svc.search("second pair of eyes ledger rollback", k=3)
    assert hits
    assert hits[0].external_id == target.external_id


def test_restrictions_become_the_acl(svc: Services, site: tuple[Emulator, str]) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    run_import(svc, source, ImportTarget.space("ENG"))
    docs = pages(svc, "ENG")
    glass = docs["Break-glass access"]  # restricted to security-leads, under "security"
    scoped = source.id
    engineer = {
        Principal.of_source("user", scoped, "someone"),
        Principal.of_source("group", scoped, "engineering"),
    }
    lead = engineer | {
        Principal.of_source("group", scoped, "security"),
        Principal.of_source("group", scoped, "security-leads"),
    }
    elsewhere = {Principal("group", g) for g in ("engineering", "security", "security-leads")}
    assert not glass.acl.admits(elsewhere)  # the same group names, unscoped: not this site's
    assert not glass.acl.admits(engineer)
    assert glass.acl.admits(lead)
    assert docs["Rollback procedure"].acl.admits(engineer)
    hits = svc.retriever.search("break-glass emergency access", engineer, k=20)
    assert glass.id not in {h.document_id for h in hits}
    assert glass.id in {h.document_id for h in svc.retriever.search("break-glass access", lead)}


def test_page_tree_cql_and_batch_imports(svc: Services, site: tuple[Emulator, str]) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    by_title = {c.title: c for c in emu.site.content.values() if c.space_key == "ENG"}
    oncall = by_title["On-call and incidents"]
    tree = run_import(svc, source, ImportTarget.page(oncall.id, tree=True), folder="/Ops")
    titles = {d.title for d in svc.store.documents() if d.type == "page"}
    assert {"On-call and incidents", "Incident severity levels", "Postmortem template"} <= titles
    assert "Rollback procedure" not in titles
    assert tree.run.counts["imported"] == len(titles)
    assert "/Ops/On-call and incidents" in {f.path for f in svc.store.folders()}

    single = run_import(svc, source, ImportTarget.page(by_title["Rollback procedure"].id))
    assert single.run.counts["imported"] == 1
    cql = run_import(svc, source, ImportTarget.cql('label = "adr"'))
    adrs = [c for c in by_title.values() if any(lb.name == "adr" for lb in c.labels)]
    assert cql.run.counts["imported"] == len(adrs) >= 4
    ids = [by_title["Glossary"].id, by_title["FAQ"].id, by_title["Rollback procedure"].id]
    batch = run_import(svc, source, ImportTarget.batch(ids))
    assert batch.run.counts == {**batch.run.counts, "imported": 2, "unchanged": 1}


def test_bad_pages_are_failed_items_and_the_import_goes_on(
    svc: Services, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    report = run_import(svc, source, ImportTarget.space("ODD"))
    reasons = {title: reason for _, title, reason in report.failures}
    assert set(reasons) == {"Huge page", "broken.pdf"}, reasons  # "Broken page" is recovered
    assert "PDF" in reasons["broken.pdf"]
    assert report.run.counts["attachments_imported"] == 1
    assert "too large" in reasons["Huge page"] or "characters" in reasons["Huge page"]
    assert set(pages(svc, "ODD")) == {"Fine page", "Broken page"}
    items = svc.store.import_items(report.run.id, outcome="failed")
    assert sorted(i.title or "" for i in items) == ["Huge page", "broken.pdf"]


def test_unknown_space_empty_space_and_unknown_page(
    svc: Services, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    with pytest.raises(NotFoundError, match="NOPE"):
        run_import(svc, source, ImportTarget.space("NOPE"))
    empty = run_import(svc, source, ImportTarget.space("EMPTY"))
    assert empty.ok
    assert empty.run.counts["seen"] == 0
    with pytest.raises(NotFoundError, match="999999"):
        run_import(svc, source, ImportTarget.page("999999"))
    assert svc.store.count_documents() == 0
    assert svc.store.folders() == []  # a failed import leaves no folders behind


def test_wrong_credentials_and_unreachable_site(svc: Services, site: tuple[Emulator, str]) -> None:
    emu, url = site
    if emu.config.flavor != "cloud":
        pytest.skip("one flavour is enough for credential errors here")
    with pytest.raises(AuthError):
        asyncio.run(svc.sources.connect("x", url, ApiToken("admin@example.com", "wrong")))
    with pytest.raises((TransientError, RadexError)):
        asyncio.run(svc.sources.connect("y", "http://127.0.0.1:9", ApiToken("a@b.c", "t")))
    assert svc.store.sources() == []


def test_a_new_attachment_version_reimports_only_that_file(
    svc: Services, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    source = connect(svc, emu, url)
    run_import(svc, source, ImportTarget.space("ENG"))
    page = pages(svc, "ENG")["CI pipeline"]
    text = b"# CI stages\n\nThe nightly mutation-testing stage belongs to Team Platform.\n"

    async def attach() -> None:
        async with svc.sources.open(source) as client:
            await client.upload_attachment(page.external_id, "ci-stages.md", text)

    asyncio.run(attach())
    again = run_import(svc, source, ImportTarget.space("ENG"))
    assert again.run.counts["attachments_updated"] == 1
    assert again.run.counts["updated"] == 0
    hits = svc.search("nightly mutation-testing stage", k=1)
    assert hits[0].title == "ci-stages.md (attached to CI pipeline)"
    assert hits[0].url.endswith("/download/attachments/" + page.external_id + "/ci-stages.md")
