"""What an import selects and how each selected page maps to a document (pure helpers)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from radex.confluence.storage import Structure
from radex.errors import InputError
from radex.types import Acl, ContentRef, Document, Page

TargetKind = Literal["space", "page", "tree", "cql", "batch"]
MANIFEST_EXPAND = (
    "version",
    "space",
    "history",
    "ancestors",
    "metadata.labels",
    "restrictions.read.restrictions.user",
    "restrictions.read.restrictions.group",
)
_ID = re.compile(r"^\d{1,20}$")
_KEY = re.compile(r"^[A-Za-z0-9~_\-]{1,255}$")


@dataclass(frozen=True)
class ImportTarget:
    """What to import: a space key, a page id (optionally with its tree), CQL, or a batch of ids."""

    kind: TargetKind
    value: str
    ids: tuple[str, ...] = ()

    @classmethod
    def space(cls, key: str) -> ImportTarget:
        """Every page and blog post of a space."""
        if not _KEY.match(key):
            raise InputError(
                f"'{key}' is not a space key", hint="space keys look like ENG or ~jdoe"
            )
        return cls("space", key)

    @classmethod
    def page(cls, page_id: str, *, tree: bool = False) -> ImportTarget:
        """One page, or the page and every page below it."""
        if not _ID.match(page_id):
            raise InputError(f"'{page_id}' is not a page id", hint="page ids are numbers")
        return cls("tree" if tree else "page", page_id)

    @classmethod
    def cql(cls, query: str) -> ImportTarget:
        """The pages and blog posts a CQL query selects."""
        if not query.strip():
            raise InputError("the CQL query is empty", hint='e.g. label = "runbook"')
        return cls("cql", query.strip())

    @classmethod
    def batch(cls, ids: Sequence[str]) -> ImportTarget:
        """A list of page or blog post ids."""
        bad = [i for i in ids if not _ID.match(i)]
        if bad or not ids:
            raise InputError(
                f"not page ids: {', '.join(bad) or '(none given)'}", hint="give numeric ids"
            )
        unique = tuple(dict.fromkeys(ids))
        return cls("batch", ",".join(unique), unique)

    def manifest_cql(self) -> str:
        """The CQL that lists the selection (metadata only; bodies are fetched separately)."""
        kinds = "type in (page, blogpost)"
        if self.kind == "space":
            return f'space = "{self.value}" and {kinds}'
        if self.kind == "page":
            return f"id = {self.value}"
        if self.kind == "tree":
            return f"(id = {self.value} or ancestor = {self.value}) and type = page"
        if self.kind == "batch":
            return f"id in ({', '.join(self.ids)}) and {kinds}"
        return f"({self.value}) and {kinds}"


@dataclass(slots=True)
class Selected:
    """A page in the selection, with what RADEX derived for it (its attachments and comments
    share its Acl, folder and breadcrumb)."""

    page: Page
    acl: Acl
    ancestors: tuple[ContentRef, ...]
    folder_id: str | None
    space_name: str


_KEYS = uuid.UUID("6f1c2a8e-5d1b-4c8e-9a57-2f0e7b3c9d41")


def document_key(source_id: str, external_id: str) -> str:
    """The id of the document content ``external_id`` of a source becomes: the same on every
    import, so that a step redone after a crash replaces what it wrote, never adds to it."""
    return uuid.uuid5(_KEYS, f"{source_id}:{external_id}").hex


def folder_name(title: str) -> str:
    """A folder name for a page title ('/' cannot appear in a folder name)."""
    cleaned = " ".join(title.replace("/", "-").split())
    return cleaned or "untitled"


def content_hash(page: Page) -> str:
    """The hash of what a page's chunks are made of: its storage body."""
    return hashlib.sha256((page.body or "").encode("utf-8")).hexdigest()


def breadcrumb(space_name: str, ancestors: Sequence[ContentRef], title: str) -> list[str]:
    """Space › ancestors › page."""
    return [space_name, *(a.title or a.id for a in ancestors), title]


def document_for(
    page: Page,
    *,
    doc_id: str,
    source_id: str,
    acl: Acl,
    folder_id: str | None,
    ancestors: tuple[ContentRef, ...],
    chash: str,
    markdown_key: str | None,
    storage_key: str | None,
) -> Document:
    """The Document a Confluence page becomes."""
    return Document(
        id=doc_id,
        source_id=source_id,
        external_id=page.id,
        type=page.kind,
        title=page.title,
        url=page.web_url or "",
        version=page.version.number,
        content_hash=chash,
        acl=acl,
        space_key=page.space_key,
        ancestors=ancestors,
        labels=tuple(sorted(page.labels or ())),
        author_id=page.author_id,
        last_editor_id=page.version.author_id,
        created_at=page.created_at,
        updated_at=page.version.when,
        status=page.status,
        folder_id=folder_id,
        markdown_key=markdown_key,
        storage_key=storage_key,
    )


def same_metadata(a: Document, b: Document) -> bool:
    """True when two versions of a document agree on everything but the body."""
    fields = ("title", "url", "acl", "space_key", "ancestors", "labels", "folder_id", "status")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def same_breadcrumb(a: Document, b: Document) -> bool:
    """True when the chunks' breadcrumbs (title and ancestors' titles) are unchanged."""
    return a.title == b.title and [x.title for x in a.ancestors] == [x.title for x in b.ancestors]


def structure_data(structure: Structure) -> dict[str, Any]:
    """The parts of a conversion's structure summary worth keeping with the document."""
    return {
        "headings": [[h.level, h.text, h.anchor] for h in structure.headings],
        "links": [
            {k: v for k, v in (("kind", ln.kind), ("target", ln.target), ("page_id", ln.page_id))}
            for ln in structure.links
        ],
        "attachments": sorted({a.filename for a in structure.attachments}),
        "mentions": sorted({m.user_id for m in structure.mentions}),
        "page_properties": dict(structure.page_properties),
        "statuses": [s.title for s in structure.statuses],
        "has_toc": structure.has_toc,
    }
