"""Shared pieces for job and sync tests: run jobs here, change the emulated site, compare."""

from __future__ import annotations

import asyncio
import hashlib
import random
from pathlib import Path
from typing import Any

from ingest_kit import admin_credential, services

from radex.app import Services
from radex.confluence.emulator import ops
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.model import Content
from radex.confluence.emulator.serve import admin_of
from radex.ingest.importer import ImportSpec
from radex.ingest.plan import ImportTarget
from radex.store.records import JobRecord, SourceRecord


def connect(svc: Services, emu: Emulator, url: str, name: str = "wiki") -> SourceRecord:
    """Connect the emulator as a source."""
    return asyncio.run(svc.sources.connect(name, url, admin_credential(emu)))


def run_job(svc: Services, job: JobRecord) -> JobRecord:
    """Run a job to its end in this process."""
    return asyncio.run(svc.runner().run_here(job.id))


def import_space(svc: Services, source: SourceRecord, key: str) -> JobRecord:
    """Import a space as a job; it must succeed."""
    job = run_job(svc, svc.import_job(source, ImportSpec(ImportTarget.space(key))))
    assert job.state == "succeeded", job.error
    return job


def sync(svc: Services, source: SourceRecord, mode: str = "incremental", **kw: Any) -> JobRecord:
    """Sync a source as a job; it must succeed."""
    job = run_job(svc, svc.sync_job(source, mode=mode, **kw))
    assert job.state == "succeeded", job.error
    return job


def snapshot(svc: Services) -> dict[str, Any]:
    """Every document, keyed by Confluence id: metadata, Acl, folder, chunks and a digest of
    its vectors (rounded)."""
    folders = {f.id: f.path for f in svc.store.folders()}
    out: dict[str, Any] = {}
    for doc in svc.store.documents():
        chunks = svc.store.chunks(doc.id)
        vectors = svc.store.chunk_vectors(doc.id, svc.embedder.model_id)
        assert doc.external_id not in out, f"{doc.external_id} is held twice"
        out[doc.external_id] = {
            "type": doc.type,
            "title": doc.title,
            "version": doc.version,
            "labels": doc.labels,
            "ancestors": [(a.id, a.title) for a in doc.ancestors],
            "acl": sorted(
                sorted(str(p).replace(doc.source_id, "src") for p in c) for c in doc.acl.clauses
            ),
            "folder": folders.get(doc.folder_id or ""),
            "space": doc.space_key,
            "hash": doc.content_hash,
            "chunks": [(c.ordinal, c.text, c.heading, c.breadcrumb) for c in chunks],
            "vectors": None
            if vectors is None
            else (len(vectors), hashlib.sha256(vectors.round(5).tobytes()).hexdigest()),
        }
    return out


def indexed(svc: Services) -> dict[str, int]:
    """Chunks the search index holds per document id (it must agree with the store)."""
    rows = svc.index._db.execute(  # type: ignore[attr-defined]
        "SELECT document_id, count(*) FROM chunks GROUP BY document_id"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def fresh_import(home: Path, emu: Emulator, url: str, keys: list[str]) -> dict[str, Any]:
    """A clean import of the site as it is now, snapshotted."""
    svc = services(home)
    try:
        source = connect(svc, emu, url)
        for key in keys:
            import_space(svc, source, key)
        return snapshot(svc)
    finally:
        svc.close()


def pages(emu: Emulator, space: str) -> list[Content]:
    """The space's current pages, by id."""
    return sorted(
        (
            c
            for c in emu.site.content.values()
            if c.space_key == space and c.type == "page" and c.status == "current"
        ),
        key=lambda c: c.id,
    )


def edit(emu: Emulator, page: Content, text: str) -> None:
    """A new version of a page with ``text`` appended."""
    ops.update_content(
        emu.site,
        admin_of(emu),
        page,
        version_number=page.version + 1,
        body=page.body + f"<p>{text}</p>",
    )


def move(emu: Emulator, page: Content, parent: Content | None) -> None:
    """Move a page under another (None: to the space's top)."""
    ops.update_content(
        emu.site,
        admin_of(emu),
        page,
        version_number=page.version + 1,
        parent_id=parent.id if parent else None,
    )


CHANGES = (
    "edit",
    "move",
    "trash",
    "purge",
    "label",
    "unlabel",
    "restrict",
    "create",
    "unattach",
    "archive",
)


def random_change(emu: Emulator, space: str, rng: random.Random) -> str:
    """One random change of the kinds a sync must follow; returns what it did."""
    admin = admin_of(emu)
    site = emu.site
    current = pages(emu, space)
    kind = rng.choice(CHANGES)
    if not current:
        kind = "create"
    page = rng.choice(current) if current else None
    if kind == "edit" and page:
        edit(emu, page, f"edited {rng.randrange(10**6)}")
    elif kind == "move" and page:
        others = [p for p in current if p.id != page.id and page.id not in _ancestor_ids(emu, p)]
        move(emu, page, rng.choice([*others, None]) if others else None)
    elif kind in ("trash", "purge") and page:
        ops.trash(site, admin, page)
        if kind == "purge":
            ops.purge(site, admin, page)
    elif kind == "archive" and page:
        ops.update_content(site, admin, page, version_number=page.version + 1, status="archived")
    elif kind == "unattach" and page:
        extras = [c for c in site.content.values() if c.parent_id == page.id]
        extras = [c for c in extras if c.type in ("attachment", "comment")]
        if extras:
            ops.trash(site, admin, rng.choice(extras))  # deleted outright
    elif kind == "label" and page:
        ops.add_labels(site, admin, page, [("global", f"tag{rng.randrange(5)}")])
    elif kind == "unlabel" and page and page.labels:
        ops.remove_label(site, admin, page, page.labels[0].name)
    elif kind == "restrict" and page:
        groups = rng.choice([set(), {"engineering"}, {"people"}])
        ops.set_restrictions(site, admin, page, "read", set(), groups & set(site.groups))
    else:
        parent = rng.choice([*current, None]) if current else None
        ops.create_content(
            site,
            admin,
            type_="page",
            space_key=space,
            title=f"New page {rng.randrange(10**9)}",
            body=f"<p>fresh words {rng.randrange(10**6)}</p>",
            parent_id=parent.id if parent else None,
        )
    return f"{kind} {page.id if page else ''}"


def _ancestor_ids(emu: Emulator, page: Content) -> set[str]:
    return {a.id for a in emu.site.ancestors(page)}


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """What differs between two snapshots, field by field (for assertion messages)."""
    out = []
    for key in sorted(set(got) | set(want)):
        a, b = got.get(key), want.get(key)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"{key}: {'missing' if a is None else 'extra'}")
            continue
        fields = [f for f in a if a[f] != b.get(f)]
        out.append(
            f"{key}: "
            + "; ".join(f"{f} {str(a[f])[:120]} != {str(b.get(f))[:120]}" for f in fields)
        )
    return out
