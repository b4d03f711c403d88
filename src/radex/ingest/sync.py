"""Incremental sync: what changed in Confluence since the last sync, and what went away.

A sync keeps every import scope of a source (each distinct target and folder a user imported)
up to date. An incremental pass lists only what was modified since the scope's cursor, minus an
overlap window (CQL reads dates in the caller's time zone, and the search index lags writes),
so its cost grows with what changed; the overlap's repeats are skipped by the importer's (id,
version) check without a write. Trashed content is listed every pass and removed. A full
reconciliation (on its own, longer schedule, or on demand) re-lists each scope's metadata (labels,
moves, restores, restrictions, none of which bump a version) and each space's current ids, and
removes what Confluence no longer lists, unless the listing was incomplete or the removal would
take more than a configured share of the space.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from radex.confluence.client import ConfluenceClient
from radex.errors import NotFoundError, RadexError
from radex.index import SearchIndex
from radex.ingest.extras import ExtrasOptions
from radex.ingest.importer import ImportSpec
from radex.ingest.plan import ImportTarget
from radex.ingest.removal import remove_pages
from radex.store import Store
from radex.store.records import ImportRun, SourceRecord
from radex.types import Page

CQL_MINUTE = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class SyncPolicy:
    """How a sync behaves: its overlap window, how often it reconciles fully, and how much a
    reconciliation may remove before it refuses."""

    overlap: timedelta = timedelta(hours=26)  # any time zone (±14 h), DST, index lag
    full_every: timedelta = timedelta(days=1)
    permissions_every: timedelta = timedelta(hours=1)
    max_delete_share: float = 0.25
    delete_floor: int = 5  # removals smaller than this are never refused


@dataclass
class Removal:
    """What a trash pass or a reconciliation removed, or why it refused to."""

    space: str
    removed: list[str] = field(default_factory=list)  # external ids of pages and blog posts
    refused: str | None = None


def scope_key(run: ImportRun, folder: str | None) -> str:
    """The name a scope's sync state is kept under."""
    return f"{run.kind}:{run.target}@{folder or ''}"


def scope_spec(
    run: ImportRun,
    folder: str | None,
    *,
    since: datetime | None,
    full: bool,
    policy: SyncPolicy,
    ids: Sequence[str] = (),
) -> ImportSpec:
    """The import that brings one scope up to date: everything (a full pass, or a scope never
    synced), what changed since ``since`` less the overlap, or just ``ids`` (a webhook)."""
    target = _target(run)
    if ids:
        narrow = f"id in ({', '.join(ids)})"
        return ImportSpec(target, folder, ExtrasOptions(), narrow, "sync", extras_per_page=True)
    if full or since is None:
        return ImportSpec(target, folder, ExtrasOptions(), None, "full")
    start = (since - policy.overlap).strftime(CQL_MINUTE)
    return ImportSpec(target, folder, ExtrasOptions(), f'lastmodified >= "{start}"', "sync")


def _target(run: ImportRun) -> ImportTarget:
    if run.kind == "batch":
        return ImportTarget.batch(run.target.split(","))
    return ImportTarget(run.kind, run.target)


class Reconciler:
    """Removes from RADEX what Confluence trashed, purged or no longer shows the source."""

    def __init__(
        self, *, store: Store, index: SearchIndex, source: SourceRecord, client: ConfluenceClient
    ) -> None:
        self.store, self.index, self.source, self.client = store, index, source, client

    async def trash(self, space: str) -> Removal:
        """Remove the space's trashed pages and blog posts that RADEX holds."""
        out = Removal(space)
        stored = await asyncio.to_thread(self.store.external_ids, self.source.id, space)
        if not stored:
            return out
        gone: list[str] = []
        for kind in ("page", "blogpost"):
            listing = self.client.trashed(space, kind=kind)
            try:
                gone.extend([p.id async for p in listing if p.id in stored])
            except NotFoundError:
                continue  # the space itself is gone: the reconciliation decides
        await asyncio.to_thread(remove_pages, self.store, self.index, self.source.id, gone)
        out.removed = gone
        return out

    async def reconcile(self, space: str, max_share: float, floor: int = 5) -> Removal:
        """List the space's current ids (no bodies) and remove the stored pages not listed;
        nothing is removed when the listing was incomplete or would remove too much."""
        out = Removal(space)
        stored = await asyncio.to_thread(self.store.external_ids, self.source.id, space)
        if not stored:
            return out
        listed: set[str] = set()
        try:
            await self.client.space(space, fresh=True)
        except NotFoundError:
            pass  # the space was deleted, or the source may no longer see it: all of it goes
        else:
            listing = self.client.search(
                f'space = "{space}" and type in (page, blogpost)', expand=("version",)
            )
            try:
                listed = {
                    p.id async for p in listing if isinstance(p, Page) and p.status == "current"
                }
            except RadexError as exc:
                out.refused = f"the listing of space {space} failed ({exc}); nothing removed"
                return out
            if listing.failures:
                out.refused = (
                    f"{len(listing.failures)} position(s) of space {space} could not be listed;"
                    " nothing removed"
                )
                return out
        gone = sorted(set(stored) - listed)
        if len(gone) >= floor and len(gone) > max_share * len(stored):
            out.refused = (
                f"space {space}: {len(gone)} of {len(stored)} pages are no longer listed, more"
                f" than the {max_share:.0%} a sync may remove; nothing removed (check the"
                " credential still sees the space, then sync with a higher"
                " RADEX_SYNC_MAX_DELETE_SHARE)"
            )
            return out
        await asyncio.to_thread(remove_pages, self.store, self.index, self.source.id, gone)
        out.removed = gone
        return out

    async def missing(self, ids: Iterable[str]) -> list[str]:
        """Of these page ids, those Confluence no longer shows as current (trashed, purged or
        hidden from the source): each is removed with its attachments and comments."""
        gone: list[str] = []
        for page_id in ids:
            doc = await asyncio.to_thread(self.store.document, self.source.id, page_id)
            if doc is None or doc.type not in ("page", "blogpost"):
                continue
            kind: Literal["page", "blogpost"] = "blogpost" if doc.type == "blogpost" else "page"
            try:
                page = await self.client.page(page_id, kind=kind)
            except NotFoundError:
                page = None
            if page is None or page.status != "current":
                await asyncio.to_thread(
                    remove_pages, self.store, self.index, self.source.id, [page_id]
                )
                gone.append(page_id)
        return gone
