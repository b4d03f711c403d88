"""Import Confluence content: list, diff, fetch what changed, convert, chunk, embed, store.

An import runs in resumable steps. It first lists the selection's metadata with one CQL listing
(versions, ancestors, labels, read restrictions; no bodies) into the run's work list in the
database, in batches. Each batch is then diffed against what RADEX holds: unchanged pages are
skipped without a single write; only new or changed pages have their bodies fetched, converted,
chunked and embedded. A space's attachments and comments follow in one listing. Each step can
be redone after a crash with the same result, and no step holds more than one batch in memory.
One bad page is a failed item of the import, never its end.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, MutableMapping, Sequence
from contextlib import asynccontextmanager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from radex.blobs import BlobStore
from radex.confluence.acl import fails_closed
from radex.confluence.client import ConfluenceClient, ItemFailure
from radex.confluence.storage import ConvertContext, storage_to_markdown
from radex.embed import Embedder
from radex.errors import NotFoundError, RadexError
from radex.extract import DEFAULT_LIMITS, ExtractWorker, Limits, extract_in_subprocess
from radex.index import SearchIndex
from radex.ingest.extras import Extractor, Extras, ExtrasOptions, Listed
from radex.ingest.listed import page_from_data, page_to_data
from radex.ingest.permissions import AclResolver
from radex.ingest.pipeline import Timings, Work, Writer
from radex.ingest.plan import (
    MANIFEST_EXPAND,
    ImportTarget,
    Selected,
    breadcrumb,
    content_hash,
    document_for,
    document_key,
    folder_name,
    same_breadcrumb,
    same_metadata,
    structure_data,
)
from radex.ingest.progress import NoProgress, Progress
from radex.ingest.removal import remove_documents, remove_pages
from radex.store import Store
from radex.store.records import ImportPurpose, ImportRun, ImportStatus, ItemOutcome, SourceRecord
from radex.types import Document, Page, VersionInfo

BULK_FETCH_MIN = 10  # from this many changed pages in a batch on, list bodies instead of GETs
BATCH_PAGES = 100  # pages per resumable batch
BODY_EXPAND = ("body.storage", "version", "space", "history")
MENTION_BATCH = 50  # fetched pages whose mentioned people are looked up in one call...
MENTION_BATCH_CHARS = 4_000_000  # ...unless their bodies hold more characters than this
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MENTION = re.compile(r'ri:(account-id|userkey)="([^"]+)"')


@dataclass
class ImportReport:
    """What an import did: the run record, each failure with its reason, and warnings (e.g.
    permission data that could not be read, so that content fails closed)."""

    run: ImportRun
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, reason)
    warnings: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)  # busy seconds per stage

    @property
    def ok(self) -> bool:
        """True when every selected page was imported or already up to date."""
        return self.run.status == "done" and not self.failures


@dataclass(frozen=True)
class ImportSpec:
    """Everything an import's steps need, kept with its job so that it can resume anywhere:
    the target, the folder it maps into, which extras, and for a sync the CQL that narrows the
    listing (``lastmodified >= ...`` or ``id in (...)``)."""

    target: ImportTarget
    folder: str | None = None
    extras: ExtrasOptions = field(default_factory=ExtrasOptions)
    narrow: str | None = None
    purpose: ImportPurpose = "import"
    extras_per_page: bool = False  # list each page's extras (not the space's, by CQL)

    def listing_cql(self) -> str:
        """The CQL that lists this import's pages (metadata only)."""
        base = self.target.manifest_cql()
        return f"({base}) and ({self.narrow})" if self.narrow else base

    def to_data(self) -> dict[str, Any]:
        """The spec as JSON-ready data."""
        t = self.target
        return {
            "target": [t.kind, t.value, list(t.ids)],
            "folder": self.folder,
            "extras": [self.extras.attachments, self.extras.comments],
            "narrow": self.narrow,
            "purpose": self.purpose,
            "extras_per_page": self.extras_per_page,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ImportSpec:
        """The spec :meth:`to_data` wrote."""
        kind, value, ids = data["target"]
        attachments, comments = data.get("extras", [True, True])
        return cls(
            ImportTarget(kind, value, tuple(ids)),
            data.get("folder"),
            ExtrasOptions(attachments=attachments, comments=comments),
            data.get("narrow"),
            data.get("purpose", "import"),
            bool(data.get("extras_per_page", False)),
        )


class Importer:
    """Runs imports for one source; collaborators arrive as constructor arguments."""

    def __init__(
        self,
        *,
        store: Store,
        blobs: BlobStore,
        index: SearchIndex,
        embedder: Embedder,
        source: SourceRecord,
        client: ConfluenceClient,
        concurrency: int = 8,
        max_page_chars: int = 10 * 1024 * 1024,
        limits: Limits = DEFAULT_LIMITS,
        progress: Progress | None = None,
        extract_worker: ExtractWorker | None = None,
        owner: str | None = None,
        batch_pages: int = BATCH_PAGES,
        prune_share: float = 0.25,
        prune_floor: int = 5,
    ) -> None:
        self.store, self.blobs, self.index, self.embedder = store, blobs, index, embedder
        self.extract_worker = extract_worker  # shared and kept open; else one per step
        self.owner = owner  # the importing RADEX user: owner of the folders an import creates
        self._owned: set[str] = set()
        self.source, self.client = source, client
        self.concurrency = concurrency
        self.max_page_chars = max_page_chars
        self.limits = limits
        self.batch_pages = batch_pages
        self.prune_share, self.prune_floor = prune_share, prune_floor  # removal cap, as sync's
        self._notes: list[str] = []
        self.progress: Progress = progress or NoProgress()
        self._acls = AclResolver(client, source)
        self._folders: dict[tuple[str, ...], str] = {}
        self._folder_paths: dict[str, str] = {}
        self._users: dict[str, str | None] = {}
        self._timings = Timings()
        self._writer: Writer | None = None
        self._extractor: Extractor = extract_in_subprocess
        self._failures: list[tuple[str, str, str]] = []
        wiki = "/wiki" if client.deployment == "cloud" else ""
        self._link_base = source.base_url.rstrip("/") + wiki

    def carry_over(self, earlier: Importer) -> None:
        """Keep what an earlier importer of the same job learnt (space permissions, read
        restrictions, folders, people, stage timings) when a new step opens a new client."""
        self._acls = earlier._acls
        self._acls.client = self.client
        self._folders, self._folder_paths = earlier._folders, earlier._folder_paths
        self._users, self._owned = earlier._users, earlier._owned
        self._timings = earlier._timings

    @property
    def warnings(self) -> list[str]:
        """Warnings so far (permission data that could not be read, ...)."""
        return [*self._acls.warnings, *self._notes]

    # ---- the run, all steps at once ---------------------------------------------------------

    async def run(
        self,
        target: ImportTarget,
        *,
        folder: str | None = None,
        extras: ExtrasOptions | None = None,
    ) -> ImportReport:
        """Import the target into ``folder`` (default: a folder named after the space), with the
        pages' attachments and comments unless ``extras`` turns them off."""
        return await self.run_spec(ImportSpec(target, folder, extras or ExtrasOptions()))

    async def run_spec(self, spec: ImportSpec, *, job_id: str | None = None) -> ImportReport:
        """Every step of an import, one after the other, in this process."""
        run = await self.start(spec, job_id=job_id)
        try:
            batches = await self.list_pages(run, spec)
            done = 0
            while done < batches:
                batches = await self.import_batch(run, spec, done)
                done += 1
            await self.import_extras(run, spec)
        except RadexError as exc:
            await self.finish(run, "failed", str(exc))
            raise
        return await self.finish(run)

    # ---- the steps --------------------------------------------------------------------------

    async def start(self, spec: ImportSpec, *, job_id: str | None = None) -> ImportRun:
        """Check the target and record a running import (an unknown space key raises
        NotFoundError before any write)."""
        root = _folder_parts(spec.folder)
        if spec.target.kind == "space":
            await self._acls.space(spec.target.value)
        root_id = self._folder(root) if root else None
        return await asyncio.to_thread(
            self.store.start_import,
            self.source.id,
            spec.target.kind,
            spec.target.value,
            root_id,
            job_id=job_id,
            purpose=spec.purpose,
        )

    async def list_pages(self, run: ImportRun, spec: ImportSpec) -> int:
        """List the selection's metadata into the run's work list; returns how many batches."""
        await asyncio.to_thread(self.store.clear_import_pages, run.id)
        listing = self.client.search(spec.listing_cql(), expand=MANIFEST_EXPAND)
        seen, batches = await self._list_into(run, listing, 0)
        failures = list(listing.failures)
        if failures and spec.target.kind == "space":
            more, batches, failures = await self._complete(run, spec, batches, failures)
            seen += more
        for failure in failures:
            await self._fail(run, failure.item_id or failure.position, "", failure.error)
        self.progress.total("listed", seen)
        await asyncio.to_thread(self.store.add_import_counts, run.id, {"seen": seen})
        if spec.target.kind == "page" and not seen and not listing.failures:
            raise NotFoundError(
                f"no page or blog post with id {spec.target.value}",
                hint=f"check the id, and that {self.source.display_name or 'you'} may view it",
            )
        return batches

    async def _list_into(
        self, run: ImportRun, listing: AsyncIterable[Any], first_batch: int
    ) -> tuple[int, int]:
        """Stream a listing into the work list from ``first_batch`` on: (pages, batches)."""
        buffer: list[tuple[str, dict[str, Any]]] = []
        seen, batch = 0, first_batch
        with self._timings.timed("list"):
            async for item in listing:
                if not isinstance(item, Page):
                    continue
                if item.status != "current":  # archived (or trashed): RADEX keeps current only
                    await asyncio.to_thread(
                        remove_pages, self.store, self.index, self.source.id, [item.id]
                    )
                    continue
                buffer.append((item.id, page_to_data(item)))
                self.progress.advance("listed")
                if len(buffer) >= self.batch_pages:
                    seen += await asyncio.to_thread(
                        self.store.add_import_pages, run.id, batch, buffer
                    )
                    batch, buffer = batch + 1, []
            if buffer:
                seen += await asyncio.to_thread(self.store.add_import_pages, run.id, batch, buffer)
                batch += 1
        return seen, await asyncio.to_thread(self.store.import_batches, run.id)

    async def _complete(
        self, run: ImportRun, spec: ImportSpec, batches: int, failures: list[ItemFailure]
    ) -> tuple[int, int, list[ItemFailure]]:
        """A CQL walk that fails at an item may end there (Cloud's search cursors cannot step
        over it), losing what lies beyond. The space's page lists reach past such an item
        (Cloud walks them from both ends): what they hold that the work list lacks (for a
        sync, what also changed) is listed by id. What then stays unlisted is what failed:
        (pages listed, batches, failures)."""
        space = spec.target.value
        have = await asyncio.to_thread(self.store.import_page_ids, run.id)
        missing: list[str] = []
        left: list[ItemFailure] = []
        try:
            for kind in ("page", "blogpost"):
                inventory = self.client.pages(space, kind=kind, body=False)
                async for page in inventory:
                    if page.id not in have and await self._wanted(page, spec):
                        missing.append(page.id)
                left += inventory.failures
        except RadexError as exc:
            reason = f"the page list of space {space} could not complete its listing: {exc}"
            return 0, batches, [*failures, ItemFailure(space, f"pages of {space}", None, reason)]
        seen = 0
        for start in range(0, len(missing), 100):
            listing = self.client.search(
                f"id in ({', '.join(missing[start : start + 100])})", expand=MANIFEST_EXPAND
            )
            more, batches = await self._list_into(run, listing, batches)
            seen += more
            left += listing.failures
        return seen, batches, left

    async def _wanted(self, page: Page, spec: ImportSpec) -> bool:
        """Whether a page a listing missed is part of it: any current one for a whole
        listing, a new or changed one for a sync's narrowed listing."""
        if page.status != "current":
            return False
        if spec.narrow is None:
            return True
        stored = await asyncio.to_thread(self.store.document, self.source.id, page.id)
        return stored is None or stored.version != page.version.number

    async def import_batch(self, run: ImportRun, spec: ImportSpec, number: int) -> int:
        """Diff, fetch, convert and write one batch of the work list (and, unless the space's
        extras are listed at the end, the batch's attachments and comments). Returns how many
        batches the work list has now (a sync adds the pages below moved ones)."""
        metas = await asyncio.to_thread(self.store.import_batch, run.id, number)
        pages = [page_from_data(m) for m in metas]
        await self._know_ancestors(run, pages)
        root = _folder_parts(spec.folder)
        counts: dict[str, int] = {}
        async with self._writing(run, counts) as writer:
            with self._timings.timed("diff"):
                selected = [await self._select(p, spec.target, root) for p in pages]
                to_fetch, rechunk, meta_only, moved = self._diff(selected, counts)
            counts["acl_fail_closed"] = sum(fails_closed(s.acl) for s in selected)
            self.progress.expect("fetched", len(to_fetch) + len(rechunk))
            self.progress.expect("converted", len(to_fetch) + len(rechunk))
            for doc in meta_only:
                await writer.update_meta(doc)
            await self._process(run, to_fetch, rechunk)
            if spec.target.kind != "space" or spec.extras_per_page:
                listed = await self._extras(run, writer, spec.extras).run(selected)
                await asyncio.to_thread(self._prune_pages, listed)
            elif spec.narrow and moved:  # their extras are not listed as changed: follow them
                shifted = [s for s in selected if s.page.id in set(moved)]
                listed = await self._extras(run, writer, spec.extras).run(shifted)
                await asyncio.to_thread(self._prune_pages, listed)
        batches = await asyncio.to_thread(self.store.import_batches, run.id)
        if moved and spec.narrow:
            batches = await self._list_below(run, spec, moved, batches)
        return batches

    async def import_extras(self, run: ImportRun, spec: ImportSpec) -> None:
        """A space's attachments and comments, listed by CQL (a sync lists those changed
        since its cursor); their pages are looked up in the store."""
        if spec.target.kind != "space" or spec.extras_per_page:
            return
        cql = f'space = "{spec.target.value}"'
        if spec.narrow:
            cql = f"{cql} and ({spec.narrow})"
        async with self._writing(run, {}) as writer:
            extras = self._extras(run, writer, spec.extras)
            listed = await extras.run((), cql=cql, resolve=self._container)
        if listed.cql_whole and not spec.narrow:
            await asyncio.to_thread(self._prune_space, spec.target.value, listed)

    def _prune_pages(self, listed: Listed) -> None:
        """Remove the attachments and comments of wholly listed pages that were not listed
        (Confluence deletes them outright)."""
        gone = [
            d.id
            for d in self.store.extras_of(self.source.id, listed.whole)
            if d.type in listed.kinds and d.external_id not in listed.seen
        ]
        remove_documents(self.store, self.index, gone)

    def _prune_space(self, space: str, listed: Listed) -> None:
        """Remove the space's stored attachments and comments one whole listing did not show."""
        stored = self.store.external_ids(self.source.id, space, listed.kinds)
        gone = [doc_id for ext, doc_id in stored.items() if ext not in listed.seen]
        if len(gone) >= self.prune_floor and len(gone) > self.prune_share * len(stored):
            self._notes.append(
                f"space {space}: {len(gone)} of {len(stored)} attachments and comments are no"
                f" longer listed, more than the {self.prune_share:.0%} a sync may remove;"
                " nothing removed"
            )
            return
        remove_documents(self.store, self.index, gone)

    async def finish(
        self, run: ImportRun, status: ImportStatus = "done", error: str | None = None
    ) -> ImportReport:
        """Close the run: its failures (one per item, the last reason) and final status; the
        work list of a finished run is dropped."""
        items = await asyncio.to_thread(self.store.import_items, run.id, "failed")
        last: dict[str, tuple[str, str, str]] = {}
        for item in items:
            last[item.external_id] = (item.external_id, item.title or "", item.reason or "")
        failures = list(last.values())
        done = await asyncio.to_thread(
            self.store.finish_import, run.id, status, {"failed": len(failures)}, error
        )
        if status == "done":
            await asyncio.to_thread(self.store.clear_import_pages, run.id)
        return ImportReport(done, failures, self.warnings, self._timings)

    @asynccontextmanager
    async def _writing(
        self, run: ImportRun, counts: MutableMapping[str, int]
    ) -> AsyncIterator[Writer]:
        """A writer for one step; the step's tallies are added to the run when it ends."""
        with nullcontext(self.extract_worker) if self.extract_worker else ExtractWorker() as worker:
            self._extractor = worker.extract
            try:
                async with self._new_writer(counts) as writer:
                    self._writer = writer
                    yield writer
            finally:
                self._writer = None
                counts.pop("failed", None)
                if counts:
                    await asyncio.to_thread(self.store.add_import_counts, run.id, counts)

    def _new_writer(self, counts: MutableMapping[str, int]) -> Writer:
        return Writer(
            store=self.store,
            blobs=self.blobs,
            index=self.index,
            embedder=self.embedder,
            counts=counts,
            timings=self._timings,
            progress=self.progress,
            folder_paths=self._folder_paths,
        )

    # ---- listing and deciding ------------------------------------------------------------------

    async def _know_ancestors(self, run: ImportRun, pages: Sequence[Page]) -> None:
        """Learn the read restrictions of the batch's pages and their ancestors: from the
        work list where it has them, else from one listing of the rest."""
        self._acls.know(pages)
        wanted = {a.id for p in pages for a in p.ancestors or ()} - self._acls.known()
        if not wanted:
            return
        listed = await asyncio.to_thread(self.store.import_pages_meta, run.id, wanted)
        self._acls.know(page_from_data(m) for m in listed.values())
        rest = sorted(wanted - listed.keys())
        for start in range(0, len(rest), 100):
            ids = ", ".join(rest[start : start + 100])
            with suppress(RadexError):  # else each is read on its own (or fails closed)
                listing = self.client.search(f"id in ({ids})", expand=MANIFEST_EXPAND)
                self._acls.know([p async for p in listing if isinstance(p, Page)])

    async def _list_below(
        self, run: ImportRun, spec: ImportSpec, moved: Sequence[str], batches: int
    ) -> int:
        """Add the pages below moved or renamed pages to the work list (their breadcrumbs,
        folders and Acls follow their ancestor's; Confluence does not list them as changed)."""
        for start in range(0, len(moved), 50):
            below = " or ".join(f"ancestor = {pid}" for pid in moved[start : start + 50])
            cql = f"({spec.target.manifest_cql()}) and ({below})"
            listing = self.client.search(cql, expand=MANIFEST_EXPAND)
            _, batches = await self._list_into(run, listing, batches)
            for failure in listing.failures:
                await self._fail(run, failure.item_id or failure.position, "", failure.error)
        return batches

    async def _container(self, page_id: str) -> Selected | None:
        """The stored page an attachment or comment belongs to, as a selection (None when
        RADEX does not hold the page)."""
        doc = await asyncio.to_thread(self.store.document, self.source.id, page_id)
        if doc is None or doc.type not in ("page", "blogpost"):
            return None
        space_name, _ = await self._acls.space(doc.space_key or "")
        page = Page(
            id=doc.external_id,
            kind="blogpost" if doc.type == "blogpost" else "page",
            title=doc.title,
            space_id="",
            status="current",
            version=VersionInfo(doc.version, doc.updated_at or doc.created_at or _EPOCH),
            space_key=doc.space_key,
            web_url=doc.url,
            ancestors=doc.ancestors,
        )
        return Selected(page, doc.acl, doc.ancestors, doc.folder_id, space_name)

    async def _select(self, page: Page, target: ImportTarget, root: list[str]) -> Selected:
        ancestors = page.ancestors or ()
        space_name, _ = await self._acls.space(page.space_key or "")
        acl = await self._acls.acl(page)
        path = self._folder_path(page, target, root)
        self._own(path[: len(root) or 1])
        return Selected(page, acl, tuple(ancestors), self._folder(path), space_name)

    def _own(self, top: list[str]) -> None:
        """Give the importing user an owner grant on the import's top folder, when that folder
        has no grant yet (a re-import never overrides what an admin set since)."""
        folder_id = self._folder(top)
        if self.owner is None or folder_id in self._owned:
            return
        self._owned.add(folder_id)
        if not self.store.grants(folder_id):
            self.store.set_grant(folder_id, f"user:{self.owner}", "owner")

    def _folder_path(self, page: Page, target: ImportTarget, root: list[str]) -> list[str]:
        ancestors = list(page.ancestors or ())
        if target.kind == "tree":
            ids = [a.id for a in ancestors]
            if target.value in ids:
                ancestors = ancestors[ids.index(target.value) :]
            elif page.id == target.value:
                ancestors = []
        if target.kind == "page" and root:
            ancestors = []
        base = root or [page.space_key or "unknown-space"]
        return base + [folder_name(a.title or a.id) for a in ancestors]

    def _folder(self, parts: Sequence[str]) -> str:
        key = tuple(parts)
        if key not in self._folders:
            folder = self.store.ensure_folder(list(parts), self.source.display_name, self.source.id)
            self._folders[key] = folder.id
            self._folder_paths[folder.id] = folder.path
        return self._folders[key]

    def _diff(
        self, selected: Iterable[Selected], counts: dict[str, int]
    ) -> tuple[list[Selected], list[tuple[Selected, Document]], list[Document], list[str]]:
        """What each page needs: a fetch, a re-chunk, a metadata update or nothing; and which
        pages moved or were renamed (the pages below them need new breadcrumbs)."""
        to_fetch: list[Selected] = []
        rechunk: list[tuple[Selected, Document]] = []
        meta_only: list[Document] = []
        moved: list[str] = []
        for sel in selected:
            stored = self.store.document(self.source.id, sel.page.id)
            if stored is not None and (
                stored.title != sel.page.title
                or stored.ancestors != sel.ancestors
                or stored.acl != sel.acl
            ):
                moved.append(sel.page.id)
            if stored is None or stored.version != sel.page.version.number:
                to_fetch.append(sel)
                continue
            fresh = self._document(sel, stored.id, stored.content_hash, stored)
            if same_metadata(fresh, stored):
                counts["unchanged"] = counts.get("unchanged", 0) + 1
            elif not same_breadcrumb(fresh, stored):
                rechunk.append((sel, stored))
            else:
                meta_only.append(fresh)
        return to_fetch, rechunk, meta_only, moved

    def _document(
        self, sel: Selected, doc_id: str, chash: str, stored: Document | None = None
    ) -> Document:
        return document_for(
            sel.page,
            doc_id=doc_id,
            source_id=self.source.id,
            acl=sel.acl,
            folder_id=sel.folder_id,
            ancestors=sel.ancestors,
            chash=chash,
            markdown_key=stored.markdown_key if stored else None,
            storage_key=stored.storage_key if stored else None,
        )

    # ---- writing ----------------------------------------------------------------------------

    async def _process(
        self,
        run: ImportRun,
        to_fetch: list[Selected],
        rechunk: list[tuple[Selected, Document]],
    ) -> None:
        pages = aiter(self._pages(run, to_fetch, rechunk))
        held: list[tuple[Selected, Page]] = []
        chars = 0
        while True:
            with self._timings.timed("fetch"):
                item = await anext(pages, None)
            if item is not None:
                self.progress.advance("fetched")
                held.append(item)
                chars += len(item[1].body or "")
                if len(held) < MENTION_BATCH and chars < MENTION_BATCH_CHARS:
                    continue
            # the people the held pages mention, in one lookup rather than one per page
            await self._display_names(sorted({u for _, p in held for u in _mentioned(p.body)}))
            for sel, page in held:
                await self._convert(run, sel, page)
            held, chars = [], 0
            if item is None:
                break

    async def _pages(
        self,
        run: ImportRun,
        to_fetch: list[Selected],
        rechunk: list[tuple[Selected, Document]],
    ) -> AsyncIterator[tuple[Selected, Page]]:
        """The pages to convert: those to re-chunk with their stored bodies, then the fetched."""
        for sel, stored in rechunk:
            body = await self._stored_body(run, sel, stored)
            if body is not None:
                yield sel, replace(sel.page, body=body)
        async for item in self._bodies(run, to_fetch):
            yield item

    async def _bodies(
        self, run: ImportRun, wanted: list[Selected]
    ) -> AsyncIterator[tuple[Selected, Page]]:
        by_id = {s.page.id: s for s in wanted}
        if len(wanted) >= BULK_FETCH_MIN:
            ids = ", ".join(by_id)
            listing = self.client.search(f"id in ({ids})", expand=BODY_EXPAND)
            try:
                async for page in listing:
                    if isinstance(page, Page) and page.body is not None:
                        sel = by_id.pop(page.id, None)
                        if sel is not None:
                            yield sel, page
            except RadexError:
                pass  # what the listing did not give is fetched one by one below
        # Whatever the listing did not give (or every page, for small batches): one GET each.
        rest = list(by_id.values())
        for start in range(0, len(rest), self.concurrency * 4):
            window = rest[start : start + self.concurrency * 4]
            tasks = [asyncio.create_task(self._get(s)) for s in window]
            for sel, task in zip(window, tasks, strict=True):
                try:
                    yield sel, await task
                except RadexError as exc:
                    await self._fail(run, sel.page.id, sel.page.title, str(exc))

    async def _get(self, sel: Selected) -> Page:
        return await self.client.page(sel.page.id, kind=sel.page.kind)

    async def _convert(self, run: ImportRun, sel: Selected, page: Page) -> None:
        try:
            with self._timings.timed("convert"):
                work = self._prepare(sel, page)
        except RadexError as exc:
            await self._fail(run, page.id, page.title, str(exc))
            return
        self.progress.advance("converted")
        await self._writer_().put(work)

    def _extras(self, run: ImportRun, writer: Writer, options: ExtrasOptions) -> Extras:
        async def fail(item_id: str, title: str, reason: str) -> None:
            await self._fail(run, item_id, title, reason)

        return Extras(
            store=self.store,
            client=self.client,
            source=self.source,
            writer=writer,
            timings=self._timings,
            link_base=self._link_base,
            options=options,
            limits=self.limits,
            extractor=self._extractor,
            fail=fail,
            names=self._display_names,
        )

    async def _display_names(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Display names of people (looked up once per import)."""
        missing = set(ids) - self._users.keys()
        if missing:  # one bulk lookup per new set of people
            try:
                people = await self.client.users(sorted(missing))
            except RadexError:
                people = []
            found = {p.id: p.display_name for p in people}
            for uid in missing:
                self._users[uid] = found.get(uid)
        return {uid: self._users.get(uid) for uid in ids}

    def _writer_(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("the importer's writer is used outside run()")
        return self._writer

    def _prepare(self, sel: Selected, page: Page) -> Work:
        """Convert and chunk one fetched page (CPU only; raises ConversionError)."""
        body = page.body or ""
        conversion = storage_to_markdown(
            body,
            flavor=self.client.deployment,
            context=ConvertContext(
                base_url=self._link_base,
                space_key=page.space_key,
                page_id=page.id,
                page_title=page.title,
                users=lambda _kind, uid: self._users.get(uid),
                max_body_chars=self.max_page_chars,
            ),
        )
        stored = self.store.document(self.source.id, page.id)
        merged = replace(sel, page=_merge(sel.page, page))
        doc_id = stored.id if stored else document_key(self.source.id, page.id)
        doc = self._document(merged, doc_id, content_hash(page))
        anchors = {h.text: h.anchor for h in conversion.structure.headings}
        crumbs = breadcrumb(merged.space_name, doc.ancestors, doc.title)
        chunks = self._writer_().chunks(doc, conversion.markdown, crumbs, anchors)
        outcome: ItemOutcome = "imported" if stored is None else "updated"
        structure = structure_data(conversion.structure)
        return Work(
            doc, chunks, conversion.markdown, body.encode(), "application/xml", structure, outcome
        )

    async def _stored_body(self, run: ImportRun, sel: Selected, stored: Document) -> str | None:
        """The stored storage body of a page to re-chunk (same body, new breadcrumb: a page or
        an ancestor was renamed or moved), no fetch; None, recorded as failed, when missing."""
        try:
            if stored.storage_key is None:
                raise NotFoundError("the stored body of this page is missing")
            return (await asyncio.to_thread(self.blobs.get, stored.storage_key)).decode()
        except RadexError as exc:
            await self._fail(run, sel.page.id, sel.page.title, str(exc))
            return None

    async def _fail(self, run: ImportRun, item_id: str, title: str, reason: str) -> None:
        self._failures.append((item_id, title, reason))
        await asyncio.to_thread(self.store.record_item, run.id, item_id, title, "failed", reason)


def _mentioned(body: str | None) -> set[str]:
    """The account ids and user keys a storage body mentions."""
    return {m.group(2) for m in _MENTION.finditer(body or "")}


def _merge(meta: Page, full: Page) -> Page:
    """The fetched page, keeping what only the metadata listing had (ancestors, labels, ...)."""
    return replace(
        full,
        ancestors=meta.ancestors,
        labels=meta.labels if meta.labels is not None else full.labels,
        read_restriction=meta.read_restriction,
        space_key=full.space_key or meta.space_key,
        web_url=meta.web_url or full.web_url,
        created_at=full.created_at or meta.created_at,
        author_id=full.author_id or meta.author_id,
    )


def _folder_parts(folder: str | None) -> list[str]:
    if folder is None:
        return []
    return [folder_name(p) for p in folder.strip().split("/") if p.strip()]
