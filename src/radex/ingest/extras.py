"""Attachments and comments (footer and inline) of imported pages, each a document of its own.

They inherit their page's Acl, folder and breadcrumb (the page is their last ancestor), and are
skipped without a download when their version is unchanged. Attachment text comes from
``radex.extract`` in a child process bounded in time and memory; a file that cannot be read is
a failed item with the reason, never the end of the import.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from radex.confluence.client import ConfluenceClient, Listing
from radex.confluence.storage import ConvertContext, storage_to_markdown
from radex.confluence.storage.text import escape, escape_line_start
from radex.errors import RadexError
from radex.extract import Extraction, Limits
from radex.ingest.pipeline import Timings, Work, Writer
from radex.ingest.plan import (
    Selected,
    breadcrumb,
    document_key,
    same_breadcrumb,
    same_metadata,
)
from radex.store import Store
from radex.store.records import ItemOutcome, SourceRecord
from radex.types import Attachment, Comment, ContentRef, Document, DocumentType

Fail = Callable[[str, str, str], Awaitable[None]]
Extractor = Callable[..., Extraction]
Resolve = Callable[
    [str], Awaitable["Selected | None"]
]  # ExtractWorker.extract or extract_in_subprocess
ATTACHMENT_EXPAND = ("version", "container")
COMMENT_EXPAND = (
    "body.storage",
    "version",
    "container",
    "history",
    "ancestors",
    "extensions.inlineProperties",
    "extensions.resolution",
)
_PAGE_HEADING = re.compile(r"^Page (\d+)\b")


@dataclass(frozen=True)
class _Meta:
    """What a listing says about an attachment or comment."""

    kind: DocumentType
    external_id: str
    title: str
    url: str
    version: int
    author_id: str | None
    when: datetime


@dataclass
class Listed:
    """What extras listings showed: the ids seen, the pages (or the CQL) listed whole, and the
    kinds listed; what a whole listing did not show is gone from Confluence."""

    kinds: tuple[str, ...]
    seen: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)  # page ids / the CQL whose listing failed
    whole: set[str] = field(default_factory=set)
    cql_whole: bool = False


@dataclass(frozen=True)
class ExtrasOptions:
    """Which extras an import brings in."""

    attachments: bool = True
    comments: bool = True


def file_anchors(markdown: str) -> dict[str, str]:
    """``## Page 3`` headings of extracted PDFs → ``page=3`` (the PDF viewer's fragment)."""
    out: dict[str, str] = {}
    for line in markdown.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            match = _PAGE_HEADING.match(heading)
            if match:
                out[heading] = f"page={match.group(1)}"
    return out


class Extras:
    """Brings the attachments and comments of selected pages into the writer."""

    def __init__(
        self,
        *,
        store: Store,
        client: ConfluenceClient,
        source: SourceRecord,
        writer: Writer,
        timings: Timings,
        link_base: str,
        options: ExtrasOptions,
        limits: Limits,
        extractor: Extractor,
        fail: Fail,
        names: Callable[[Sequence[str]], Awaitable[dict[str, str | None]]],
    ) -> None:
        self.store, self.client, self.source, self.writer = store, client, source, writer
        self.timings, self.link_base, self.options = timings, link_base, options
        self.limits, self.extractor = limits, extractor
        self._fail, self._names = fail, names

    async def run(
        self,
        pages: Sequence[Selected],
        *,
        cql: str | None = None,
        resolve: Resolve | None = None,
    ) -> Listed:
        """Import the extras of ``pages`` (all of them, changed or not: extras change alone),
        one listing per page; or, with ``cql``, those one CQL listing gives (a space's), their
        pages found by ``resolve``. Returns what the listings showed, and which were whole."""
        by_id = {s.page.id: s for s in pages}
        listed = Listed(kinds=self._kinds())
        if not by_id and cql is None:
            return listed

        async def container(page_id: str) -> Selected | None:
            if page_id not in by_id and resolve is not None and len(by_id) < 4096:
                found = await resolve(page_id)
                if found is None:
                    return None
                by_id[page_id] = found
            return by_id.get(page_id)

        async for item in self._items(cql, pages, listed.broken):
            listed.seen.add(item.id)
            sel = await container(item.container_id)
            if sel is None:
                continue
            if isinstance(item, Attachment):
                await self._attachment(sel, item)
            else:
                await self._comment(sel, item)
        listed.whole = {s.page.id for s in pages} - listed.broken
        listed.cql_whole = cql is not None and cql not in listed.broken
        return listed

    def _kinds(self) -> tuple[str, ...]:
        wanted = (("attachment", self.options.attachments), ("comment", self.options.comments))
        return tuple(kind for kind, on in wanted if on)

    # ---- listing --------------------------------------------------------------------------

    async def _items(
        self, cql: str | None, pages: Sequence[Selected], broken: set[str]
    ) -> AsyncIterator[Attachment | Comment]:
        """The wanted extras: with ``cql``, one listing of every wanted kind (a sync's fixed
        cost stays one call); else the attachments, then the comments, of each page."""
        kinds = self._kinds()
        if cql is not None and kinds:
            clause = f"type = {kinds[0]}" if len(kinds) == 1 else f"type in ({', '.join(kinds)})"
            expands = {"attachment": ATTACHMENT_EXPAND, "comment": COMMENT_EXPAND}
            expand = tuple(dict.fromkeys(e for k in kinds for e in expands[k]))
            what = " and ".join(f"{k}s" for k in kinds)
            by_cql = self.client.search(f"{cql} and {clause}", expand=expand)
            async for item in self._listed(broken, [(by_cql, cql, "")], what):
                yield item
            return
        for kind in kinds:
            per_page: Iterable[tuple[Listing[Any], str, str]] = (
                (self._per_page(kind, s), s.page.id, s.page.title) for s in pages
            )
            async for item in self._listed(broken, per_page, f"{kind}s"):
                yield item

    def _per_page(self, kind: str, sel: Selected) -> Listing[Any]:
        page = sel.page
        if kind == "attachment":
            return self.client.attachments(page.id, kind=page.kind)
        return self.client.comments(page.id, kind=page.kind)

    async def _listed(
        self,
        broken: set[str],
        sources: Iterable[tuple[Listing[Any], str, str]],
        what: str,
    ) -> AsyncIterator[Attachment | Comment]:
        """Items as they arrive (never all in memory), from each (listing, item id, title); a
        listing that fails is a failed item and the others go on."""
        for listing, item_id, title in sources:
            try:
                async for item in listing:
                    if isinstance(item, (Attachment, Comment)):
                        yield item
            except RadexError as exc:
                broken.add(item_id)
                await self._fail(item_id, title, f"listing its {what}: {exc}")
            if listing.failures:
                broken.add(item_id)
            for failure in listing.failures:
                await self._fail(failure.item_id or failure.position, "", failure.error)

    # ---- one attachment / comment ---------------------------------------------------------

    def _document(
        self, sel: Selected, meta: _Meta, stored: Document | None, chash: str
    ) -> Document:
        page = sel.page
        return Document(
            id=stored.id if stored else document_key(self.source.id, meta.external_id),
            source_id=self.source.id,
            external_id=meta.external_id,
            type=meta.kind,
            title=meta.title,
            url=meta.url,
            version=meta.version,
            content_hash=chash,
            acl=sel.acl,
            space_key=page.space_key,
            ancestors=(*sel.ancestors, ContentRef(page.id, page.kind, page.title)),
            author_id=meta.author_id,
            last_editor_id=meta.author_id,
            created_at=meta.when if stored is None else stored.created_at,
            updated_at=meta.when,
            folder_id=sel.folder_id,
            markdown_key=stored.markdown_key if stored else None,
            storage_key=stored.storage_key if stored else None,
        )

    async def _unchanged(self, sel: Selected, fresh: Document, stored: Document) -> None:
        """Same version: nothing, a metadata update, or (renamed page) a re-chunk."""
        if same_metadata(fresh, stored):
            self.writer.tally(fresh, "unchanged")
        elif same_breadcrumb(fresh, stored) or stored.markdown_key is None:
            await self.writer.update_meta(fresh)
        else:
            markdown = (
                await asyncio.to_thread(self.writer.blobs.get, stored.markdown_key)
            ).decode()
            await self._put(sel, fresh, markdown, None, "", None, "updated")

    async def _put(
        self,
        sel: Selected,
        doc: Document,
        markdown: str,
        raw: bytes | None,
        raw_type: str,
        structure: dict[str, object] | None,
        outcome: ItemOutcome,
    ) -> None:
        crumbs = breadcrumb(sel.space_name, doc.ancestors, doc.title)
        anchors = file_anchors(markdown) if doc.type == "attachment" else {}
        chunks = self.writer.chunks(doc, markdown, crumbs, anchors)
        await self.writer.put(Work(doc, chunks, markdown, raw, raw_type, structure, outcome))

    async def _attachment(self, sel: Selected, att: Attachment) -> None:
        stored = self.store.document(self.source.id, att.id)
        url = self.link_base + att.download_path.split("?", 1)[0]
        meta = _Meta(
            "attachment",
            att.id,
            f"{att.filename} (attached to {sel.page.title})",
            url,
            att.version.number,
            att.version.author_id,
            att.version.when,
        )
        if stored is not None and stored.version == att.version.number:
            fresh = self._document(sel, meta, stored, stored.content_hash)
            await self._unchanged(sel, fresh, stored)
            return
        limit = self.limits.max_bytes
        if att.size is not None and att.size > limit:
            await self._fail(att.id, att.filename, _too_large(att.size, limit))
            return
        try:
            with self.timings.timed("fetch"):
                data = await self.client.download(att)
            with self.timings.timed("extract"):
                extraction = await asyncio.to_thread(
                    self.extractor,
                    data,
                    filename=att.filename,
                    declared_type=att.media_type,
                    limits=self.limits,
                )
        except RadexError as exc:
            await self._fail(att.id, att.filename, str(exc))
            return
        markdown = extraction.to_markdown()
        if not markdown.strip():  # an image, or a PDF without a text layer
            markdown = f"{att.filename}\n\n{att.comment}".strip() + "\n"
        chash = hashlib.sha256(data).hexdigest()
        doc = self._document(sel, meta, stored, chash)
        structure: dict[str, object] = {
            "media_type": extraction.media_type,
            "warnings": list(extraction.warnings),
            "truncated": extraction.truncated,
        }
        outcome: ItemOutcome = "imported" if stored is None else "updated"
        await self._put(sel, doc, markdown, data, extraction.media_type, structure, outcome)

    async def _comment(self, sel: Selected, comment: Comment) -> None:
        stored = self.store.document(self.source.id, comment.id)
        author = comment.author_id or ""
        names = await self._names([author]) if author else {}
        who = names.get(author) or "someone"
        inline = comment.location == "inline"
        what = "Reply" if comment.parent_comment_id else "Inline comment" if inline else "Comment"
        page_url = sel.page.web_url or ""
        sep = "&" if "?" in page_url else "?"
        meta = _Meta(
            "comment",
            comment.id,
            f"{what} by {who} on {sel.page.title}",
            f"{page_url}{sep}focusedCommentId={comment.id}#comment-{comment.id}",
            comment.version.number,
            comment.author_id,
            comment.version.when,
        )
        body = comment.body or ""
        anchor = _anchor(comment)
        chash = hashlib.sha256((body + anchor.key).encode()).hexdigest()
        if stored is not None and (stored.version, stored.content_hash) == (meta.version, chash):
            fresh = self._document(sel, meta, stored, stored.content_hash)
            await self._unchanged(sel, fresh, stored)
            return
        try:
            with self.timings.timed("convert"):
                conversion = storage_to_markdown(
                    body,
                    flavor=self.client.deployment,
                    context=ConvertContext(base_url=self.link_base, space_key=sel.page.space_key),
                )
        except RadexError as exc:
            await self._fail(comment.id, meta.title, str(exc))
            return
        doc = self._document(sel, meta, stored, chash)
        markdown = f"{who}, {comment.version.when:%Y-%m-%d}{anchor.heading}:\n\n"
        markdown += anchor.quote + conversion.markdown
        outcome: ItemOutcome = "imported" if stored is None else "updated"
        structure: dict[str, object] | None = {"comment": anchor.facts} if anchor.facts else None
        await self._put(sel, doc, markdown, body.encode(), "application/xml", structure, outcome)


@dataclass(frozen=True)
class _Anchor:
    """What an inline comment is anchored to (``facts``: location, selection, resolution; none
    for a footer comment), and how its document shows and hashes it."""

    facts: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Added to the body's hash (empty for footer comments: their hashes are unchanged)."""
        return "\x00" + json.dumps(self.facts, sort_keys=True) if self.facts else ""

    @property
    def heading(self) -> str:
        """What follows "<who>, <date>" in the document."""
        if not self.facts:
            return ""
        resolution = self.facts["resolution"]
        state = f" ({resolution})" if resolution in ("resolved", "dangling") else ""
        return f", inline{state}" + (", on the passage" if self.facts["selection"] else "")

    @property
    def quote(self) -> str:
        """The highlighted passage, quoted, before the body."""
        selection = self.facts.get("selection")
        return f"> {escape_line_start(escape(selection))}\n\n" if selection else ""


def _anchor(comment: Comment) -> _Anchor:
    """The anchor of an inline comment (nothing for a footer comment)."""
    if comment.location != "inline":
        return _Anchor()
    selection = " ".join((comment.selection or "").split())
    resolution = comment.resolution or ""
    return _Anchor({"location": "inline", "selection": selection, "resolution": resolution})


def _too_large(size: int, limit: int) -> str:
    mb = 1024 * 1024
    return (
        f"the file is {size / mb:.1f} MB, over the import limit of {limit / mb:.0f} MB "
        "(raise RADEX_MAX_IMPORT_SIZE_MB to import it)"
    )
