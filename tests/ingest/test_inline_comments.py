"""Inline comments end to end: imported with the passage they highlight, by a space (one CQL
listing) and by a page (its own comment listings) alike, and re-imported when resolved."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from ingest_kit import run_import
from sync_kit import connect

from radex.app import Services
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.model import Content
from radex.ingest.importer import ImportReport
from radex.ingest.plan import ImportTarget
from radex.store.records import SourceRecord
from radex.types import Document

PAGE = "Deployment windows and change freezes"


def run(svc: Services, source: SourceRecord, target: ImportTarget) -> ImportReport:
    report = run_import(svc, source, target)
    assert report.ok, report.failures
    return report


def threads(emu: Emulator) -> tuple[Content, list[Content]]:
    """The sample page with inline comments, and those comments (replies included)."""
    page = next(c for c in emu.site.content.values() if c.title == PAGE and c.type == "page")
    inline = [
        c
        for c in emu.site.content.values()
        if c.type == "comment" and c.parent_id == page.id and c.location == "inline"
    ]
    return page, sorted(inline, key=lambda c: int(c.id))


def comment_docs(svc: Services) -> dict[str, Document]:
    return {d.external_id: d for d in svc.store.documents() if d.type == "comment"}


def markdown(svc: Services, doc: Document) -> str:
    assert doc.markdown_key is not None
    return svc.blobs.get(doc.markdown_key).decode()


def structure(svc: Services, doc: Document) -> Any:
    with svc.store.engine.connect() as conn:
        query = sa.text("select structure from documents where id = :id")
        raw = conn.execute(query, {"id": doc.id}).scalar_one()
    return json.loads(raw) if raw is not None else None


def test_inline_comments_come_with_their_passage(svc: Services, site: tuple[Emulator, str]) -> None:
    emu, url = site
    _, inline = threads(emu)
    opened = next(c for c in inline if c.parent_comment_id is None and c.resolution == "open")
    reply = next(c for c in inline if c.parent_comment_id == opened.id)
    resolved = next(c for c in inline if c.resolution == "resolved")
    source = connect(svc, emu, url)
    run(svc, source, ImportTarget.space("ENG"))

    docs = comment_docs(svc)
    assert {c.id for c in inline} <= set(docs)
    first = docs[opened.id]
    assert first.title.startswith("Inline comment by ")
    assert first.title.endswith(f" on {PAGE}")
    text = markdown(svc, first)
    assert f", inline, on the passage:\n\n> {opened.inline_selection}\n\n" in text
    assert "Reformation Day" in text
    assert structure(svc, first) == {
        "comment": {
            "location": "inline",
            "selection": opened.inline_selection,
            "resolution": "open",
        }
    }
    assert docs[reply.id].title.startswith("Reply by ")
    assert first.url.endswith(f"focusedCommentId={opened.id}#comment-{opened.id}")
    assert f"inline (resolved), on the passage:\n\n> {resolved.inline_selection}" in markdown(
        svc, docs[resolved.id]
    )
    footer = [d for d in docs.values() if structure(svc, d) is None]
    assert footer  # footer comments stay as they were: no anchor, no structure

    hits = svc.retriever.search("Reformation Day deployments Hamburg", svc.principals())
    assert opened.id in {h.external_id for h in hits}


def test_a_page_import_lists_the_same_comments_and_sees_a_resolution(
    svc: Services, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    page, inline = threads(emu)
    on_page = [
        c for c in emu.site.content.values() if c.type == "comment" and c.parent_id == page.id
    ]
    source = connect(svc, emu, url)
    run(svc, source, ImportTarget.space("ENG"))  # one CQL listing of the space's comments
    before = comment_docs(svc)

    again = run(svc, source, ImportTarget.page(page.id))  # the page's own comment listings
    assert again.run.counts["comments_unchanged"] == len(on_page)
    assert comment_docs(svc).keys() == before.keys()

    opened = next(c for c in inline if c.parent_comment_id is None and c.resolution == "open")
    opened.resolution = "resolved"  # resolving a comment does not give it a new version
    resolved = run(svc, source, ImportTarget.page(page.id))
    assert resolved.run.counts["comments_updated"] == 1
    assert resolved.run.counts["comments_unchanged"] == len(on_page) - 1
    assert "inline (resolved)" in markdown(svc, comment_docs(svc)[opened.id])
