"""Import Confluence content: list, diff, fetch what changed, convert, chunk, embed, store.

An import first lists the selection's metadata with one CQL listing (versions, ancestors,
labels, read restrictions; no bodies). Pages whose version and metadata match what RADEX holds
are skipped without a single write; only new or changed pages have their bodies fetched,
converted, chunked and embedded. Bodies stream through a bounded queue, so memory does not grow
with the size of the space. One bad page is a failed item of the import, never its end.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

from radex.blobs import BlobStore
from radex.confluence.acl import fails_closed
from radex.confluence.client import ConfluenceClient
from radex.confluence.storage import ConvertContext, storage_to_markdown
from radex.embed import Embedder
from radex.errors import NotFoundError, RadexError
from radex.extract import DEFAULT_LIMITS, ExtractWorker, Limits, extract_in_subprocess
from radex.index import SearchIndex
from radex.ingest.extras import Extractor, Extras, ExtrasOptions
from radex.ingest.permissions import AclResolver
from radex.ingest.pipeline import Timings, Work, Writer
from radex.ingest.plan import (
    MANIFEST_EXPAND,
    ImportTarget,
    Selected,
    breadcrumb,
    content_hash,
    document_for,
    folder_name,
    same_breadcrumb,
    same_metadata,
    structure_data,
)
from radex.ingest.progress import NoProgress, Progress
from radex.store import Store
from radex.store.records import ImportRun, ImportStatus, ItemOutcome, SourceRecord
from radex.types import Document, Page

BULK_FETCH_MIN = 50  # from this many changed pages of a space on, list bodies instead of GETs
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
    ) -> None:
        self.store, self.blobs, self.index, self.embedder = store, blobs, index, embedder
        self.extract_worker = extract_worker  # shared and kept open; else one per run
        self.owner = owner  # the importing RADEX user: owner of the folders an import creates
        self._owned: set[str] = set()
        self.source, self.client = source, client
        self.concurrency = concurrency
        self.max_page_chars = max_page_chars
        self.limits = limits
        self.progress: Progress = progress or NoProgress()
        self._acls = AclResolver(client, source)
        self._folders: dict[tuple[str, ...], str] = {}
        self._folder_paths: dict[str, str] = {}
        self._users: dict[str, str | None] = {}
        self._timings = Timings()
        self._writer: Writer | None = None
        self._extractor: Extractor = extract_in_subprocess
        wiki = "/wiki" if client.deployment == "cloud" else ""
        self._link_base = source.base_url.rstrip("/") + wiki

    # ---- the run ------------------------------------------------------------------------------

    async def run(
        self,
        target: ImportTarget,
        *,
        folder: str | None = None,
        extras: ExtrasOptions | None = None,
    ) -> ImportReport:
        """Import the target into ``folder`` (default: a folder named after the space), with the
        pages' attachments and comments unless ``extras`` turns them off."""
        root = _folder_parts(folder)
        if target.kind == "space":
            await self._acls.space(target.value)  # unknown key: NotFoundError before any write
        root_id = self._folder(root) if root else None
        run = await asyncio.to_thread(
            self.store.start_import, self.source.id, target.kind, target.value, root_id
        )
        report = ImportReport(run, timings=self._timings)
        counts = {"seen": 0, "imported": 0, "updated": 0, "unchanged": 0, "failed": 0, "chunks": 0}
        status: ImportStatus = "done"
        error: str | None = None
        try:
            with self._timings.timed("list"):
                manifest = await self._manifest(target, report)
            counts["seen"] = len(manifest)
            if target.kind == "page" and not manifest:
                raise NotFoundError(
                    f"no page or blog post with id {target.value}",
                    hint=f"check the id, and that {self.source.display_name or 'you'} may view it",
                )
            with self._timings.timed("diff"):
                selected = [
                    await self._select(p, target, manifest, root) for p in manifest.values()
                ]
                to_fetch, rechunk, meta_only = self._diff(selected, counts)
            counts["acl_fail_closed"] = sum(fails_closed(s.acl) for s in selected)
            self.progress.total("fetched", len(to_fetch) + len(rechunk))
            self.progress.total("converted", len(to_fetch) + len(rechunk))
            with (
                nullcontext(self.extract_worker)
                if self.extract_worker
                else ExtractWorker() as worker
            ):
                self._extractor = worker.extract
                async with self._new_writer(counts) as writer:
                    self._writer = writer
                    for doc in meta_only:
                        await writer.update_meta(doc)
                    await self._process(target, to_fetch, rechunk, report)
                    options = extras or ExtrasOptions()
                    await self._extras(writer, report, options).run(target, selected)
        except RadexError as exc:
            status, error = "failed", str(exc)
            raise
        finally:
            counts["failed"] = len(report.failures)
            report.warnings = list(self._acls.warnings)
            report.run = await asyncio.to_thread(
                self.store.finish_import, run.id, status, counts, error
            )
        return report

    def _new_writer(self, counts: dict[str, int]) -> Writer:
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

    async def _manifest(self, target: ImportTarget, report: ImportReport) -> dict[str, Page]:
        listing = self.client.search(target.manifest_cql(), expand=MANIFEST_EXPAND)
        pages: dict[str, Page] = {}
        async for item in listing:
            if isinstance(item, Page) and item.status == "current":
                pages[item.id] = item
                self.progress.advance("listed")
        for failure in listing.failures:
            await self._fail(report, failure.item_id or failure.position, "", failure.error)
        self.progress.total("listed", len(pages))
        self._acls.know(pages.values())
        return pages

    async def _select(
        self, page: Page, target: ImportTarget, manifest: dict[str, Page], root: list[str]
    ) -> Selected:
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
    ) -> tuple[list[Selected], list[tuple[Selected, Document]], list[Document]]:
        to_fetch: list[Selected] = []
        rechunk: list[tuple[Selected, Document]] = []
        meta_only: list[Document] = []
        for sel in selected:
            stored = self.store.document(self.source.id, sel.page.id)
            if stored is None or stored.version != sel.page.version.number:
                to_fetch.append(sel)
                continue
            fresh = self._document(sel, stored.id, stored.content_hash, stored)
            if same_metadata(fresh, stored):
                counts["unchanged"] += 1
            elif not same_breadcrumb(fresh, stored):
                rechunk.append((sel, stored))
            else:
                meta_only.append(fresh)
        return to_fetch, rechunk, meta_only

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
        target: ImportTarget,
        to_fetch: list[Selected],
        rechunk: list[tuple[Selected, Document]],
        report: ImportReport,
    ) -> None:
        for sel, stored in rechunk:
            await self._rechunk(sel, stored, report)
        bodies = aiter(self._bodies(target, to_fetch, report))
        while True:
            with self._timings.timed("fetch"):
                item = await anext(bodies, None)
            if item is None:
                break
            self.progress.advance("fetched")
            await self._convert(item[0], item[1], report)

    async def _bodies(
        self, target: ImportTarget, wanted: list[Selected], report: ImportReport
    ) -> AsyncIterator[tuple[Selected, Page]]:
        by_id = {s.page.id: s for s in wanted}
        if target.kind == "space" and len(wanted) >= BULK_FETCH_MIN:
            for kind in ("page", "blogpost"):
                if not any(s.page.kind == kind for s in wanted):
                    continue
                listing = self.client.pages(target.value, kind=kind)
                async for page in listing:
                    sel = by_id.pop(page.id, None)
                    if sel is not None:
                        yield sel, page
                for failure in listing.failures:
                    if failure.item_id and failure.item_id in by_id:
                        sel = by_id.pop(failure.item_id)
                        await self._fail(report, sel.page.id, sel.page.title, failure.error)
        # Whatever the listings did not give (or every page, for small selections): one GET each.
        rest = list(by_id.values())
        for start in range(0, len(rest), self.concurrency * 4):
            window = rest[start : start + self.concurrency * 4]
            tasks = [asyncio.create_task(self._get(s)) for s in window]
            for sel, task in zip(window, tasks, strict=True):
                try:
                    yield sel, await task
                except RadexError as exc:
                    await self._fail(report, sel.page.id, sel.page.title, str(exc))

    async def _get(self, sel: Selected) -> Page:
        return await self.client.page(sel.page.id, kind=sel.page.kind)

    async def _convert(self, sel: Selected, page: Page, report: ImportReport) -> None:
        try:
            await self._resolve_mentions(page.body or "")
            with self._timings.timed("convert"):
                work = self._prepare(sel, page)
        except RadexError as exc:
            await self._fail(report, page.id, page.title, str(exc))
            return
        self.progress.advance("converted")
        await self._writer_().put(work)

    def _extras(self, writer: Writer, report: ImportReport, options: ExtrasOptions) -> Extras:
        async def fail(item_id: str, title: str, reason: str) -> None:
            await self._fail(report, item_id, title, reason)

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
        doc = self._document(merged, stored.id if stored else uuid.uuid4().hex, content_hash(page))
        anchors = {h.text: h.anchor for h in conversion.structure.headings}
        crumbs = breadcrumb(merged.space_name, doc.ancestors, doc.title)
        chunks = self._writer_().chunks(doc, conversion.markdown, crumbs, anchors)
        outcome: ItemOutcome = "imported" if stored is None else "updated"
        structure = structure_data(conversion.structure)
        return Work(
            doc, chunks, conversion.markdown, body.encode(), "application/xml", structure, outcome
        )

    async def _rechunk(
        self,
        sel: Selected,
        stored: Document,
        report: ImportReport,
    ) -> None:
        """Same body, new breadcrumb (a page or an ancestor was renamed or moved): re-chunk
        from the stored storage body, no fetch."""
        try:
            if stored.storage_key is None:
                raise NotFoundError("the stored body of this page is missing")
            body = (await asyncio.to_thread(self.blobs.get, stored.storage_key)).decode()
        except RadexError as exc:
            await self._fail(report, sel.page.id, sel.page.title, str(exc))
            return
        self.progress.advance("fetched")
        await self._convert(sel, replace(sel.page, body=body), report)

    async def _resolve_mentions(self, body: str) -> None:
        await self._display_names(sorted({m.group(2) for m in _MENTION.finditer(body)}))

    async def _fail(self, report: ImportReport, item_id: str, title: str, reason: str) -> None:
        report.failures.append((item_id, title, reason))
        await asyncio.to_thread(
            self.store.record_item, report.run.id, item_id, title, "failed", reason
        )


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
