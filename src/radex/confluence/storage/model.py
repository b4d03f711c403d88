"""The values a conversion takes and returns: context, resolvers, structure, fidelity report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Flavor = Literal["cloud", "dc"]
"""Which Confluence wrote the body: Cloud (``ri:account-id``) or Data Center (``ri:userkey``)."""

UserIdKind = Literal["account-id", "userkey", "username"]
"""How a ``ri:user`` names its user."""

LinkKind = Literal[
    "page",
    "blog-post",
    "attachment",
    "space",
    "user",
    "url",
    "content",
    "anchor",
    "shortcut",
    "jira",
]
"""What a link points at."""

DEFAULT_MAX_BODY_CHARS = 10 * 1024 * 1024
"""Bodies longer than this many characters are refused (Confluence pages stay far below it)."""

DEFAULT_MAX_INCLUDE_DEPTH = 3
"""How many include/excerpt-include levels are inlined before the converter stops following."""


@dataclass(frozen=True, slots=True)
class PageRef:
    """A reference to a page, blog post or content id, as a storage body writes it."""

    kind: Literal["page", "blog-post", "content"] = "page"
    title: str | None = None
    space_key: str | None = None
    content_id: str | None = None
    posting_day: str | None = None

    def key(self) -> str:
        """A stable identity string, used for cycle detection."""
        if self.content_id:
            return f"id:{self.content_id}"
        return f"{self.kind}:{self.space_key or ''}:{self.title or ''}"


@dataclass(frozen=True, slots=True)
class IncludedPage:
    """What an include resolver returns for the page an include macro points at."""

    body: str
    visible_to_all_host_readers: bool
    title: str | None = None
    url: str | None = None
    page_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One line of a resolved children/pagetree/contentbylabel/... listing."""

    title: str
    url: str | None = None
    depth: int = 0


UserResolver = Callable[[UserIdKind, str], str | None]
"""Display name of a user given how the body names them, or None when unknown."""

PageUrlResolver = Callable[[PageRef], str | None]
"""Canonical URL of a page, blog post or content id, or None to use the default URL scheme."""

AttachmentUrlResolver = Callable[[str, PageRef | None], str | None]
"""URL of an attachment (file name, containing page or None for the host page)."""

ListingResolver = Callable[[str, Mapping[str, str]], Sequence[ListingEntry] | None]
"""Entries a dynamic macro (children, pagetree, contentbylabel, ...) would list, or None."""

IncludeResolver = Callable[[PageRef], IncludedPage | None]
"""The storage body of the page an include/excerpt-include points at, or None if unknown."""


@dataclass(frozen=True, slots=True)
class ConvertContext:
    """Optional knowledge about the page and its site that makes links and macros resolvable."""

    base_url: str = ""
    space_key: str | None = None
    page_id: str | None = None
    page_title: str | None = None
    jira_base_url: str | None = None
    users: UserResolver | None = None
    page_url: PageUrlResolver | None = None
    attachment_url: AttachmentUrlResolver | None = None
    listing: ListingResolver | None = None
    include: IncludeResolver | None = None
    max_body_chars: int = DEFAULT_MAX_BODY_CHARS
    max_include_depth: int = DEFAULT_MAX_INCLUDE_DEPTH


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of the converted page with the anchor Confluence gives it."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link found in the body: an edge for the link graph."""

    kind: LinkKind
    target: str
    text: str = ""
    title: str | None = None
    space_key: str | None = None
    page_id: str | None = None
    anchor: str | None = None
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """An attachment the body refers to (image, link, view-file, drawio, ...)."""

    filename: str
    container: PageRef | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    """A user mention, with the display name when a resolver knew it."""

    id_kind: UserIdKind
    user_id: str
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class TableInfo:
    """Shape of one converted table: merged cells matter to the chunker."""

    rows: int
    cols: int
    header: bool
    merged: bool


@dataclass(frozen=True, slots=True)
class Status:
    """A status lozenge: its title and colour."""

    title: str
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class IncludeRef:
    """An include/excerpt-include macro and whether its content was inlined."""

    macro: str
    target: PageRef
    inlined: bool
    reason: str = ""


def _frozen_map() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Structure:
    """What the chunker and the link graph need besides the Markdown text."""

    headings: tuple[Heading, ...] = ()
    links: tuple[LinkRef, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()
    mentions: tuple[Mention, ...] = ()
    page_properties: Mapping[str, str] = field(default_factory=_frozen_map)
    has_toc: bool = False
    dynamic_macros: tuple[str, ...] = ()
    tables: tuple[TableInfo, ...] = ()
    anchors: tuple[str, ...] = ()
    statuses: tuple[Status, ...] = ()
    includes: tuple[IncludeRef, ...] = ()
    excerpt: str | None = None
    excerpt_hidden: bool = False
    inline_comment_refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FidelityReport:
    """How faithfully a body converted: element counts, fallbacks by macro, warnings."""

    elements: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    fallbacks: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()
    recovered: bool = False

    @property
    def lossless(self) -> bool:
        """True when nothing fell back to a generic rendering and nothing was repaired."""
        return not self.fallbacks and not self.warnings and not self.recovered

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (sorted keys) for logs and the CLI's ``--report``."""
        return {
            "elements": dict(sorted(self.elements.items())),
            "fallbacks": dict(sorted(self.fallbacks.items())),
            "warnings": list(self.warnings),
            "recovered": self.recovered,
            "lossless": self.lossless,
        }


@dataclass(frozen=True, slots=True)
class Conversion:
    """The result of converting one storage-format body to Markdown."""

    markdown: str
    structure: Structure
    report: FidelityReport
