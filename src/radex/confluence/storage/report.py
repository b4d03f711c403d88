"""The collector a conversion fills as it walks: structure facts and fidelity counts."""

from __future__ import annotations

from types import MappingProxyType

from radex.confluence.storage.model import (
    AttachmentRef,
    FidelityReport,
    Heading,
    IncludeRef,
    LinkRef,
    Mention,
    PageRef,
    Status,
    Structure,
    TableInfo,
)
from radex.confluence.storage.parse import local_name


class Collector:
    """Mutable accumulator for one conversion; frozen into Structure and FidelityReport."""

    __slots__ = (
        "anchors",
        "attachments",
        "comment_refs",
        "dynamic",
        "elements",
        "excerpt",
        "excerpt_hidden",
        "fallbacks",
        "has_toc",
        "headings",
        "includes",
        "links",
        "mentions",
        "properties",
        "recovered",
        "statuses",
        "tables",
        "warnings",
    )

    def __init__(self) -> None:
        self.elements: dict[str, int] = {}
        self.fallbacks: dict[str, int] = {}
        self.warnings: list[str] = []
        self.recovered = False
        self.headings: list[Heading] = []
        self.links: list[LinkRef] = []
        self.attachments: dict[tuple[str, PageRef | None], None] = {}
        self.mentions: dict[tuple[str, str], Mention] = {}
        self.properties: dict[str, str] = {}
        self.has_toc = False
        self.dynamic: dict[str, None] = {}
        self.tables: list[TableInfo] = []
        self.anchors: dict[str, None] = {}
        self.statuses: list[Status] = []
        self.includes: list[IncludeRef] = []
        self.excerpt: str | None = None
        self.excerpt_hidden = False
        self.comment_refs: dict[str, None] = {}

    def count(self, kind: str) -> None:
        """Count one converted element of ``kind``."""
        self.elements[kind] = self.elements.get(kind, 0) + 1

    def fallback(self, name: str) -> None:
        """Count one element that was rendered generically rather than faithfully."""
        self.fallbacks[name] = self.fallbacks.get(name, 0) + 1

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def attachment(self, filename: str, container: PageRef | None) -> None:
        """Record a referenced attachment."""
        self.attachments[(filename, container)] = None

    def mention(self, mention: Mention) -> None:
        """Record a mentioned user once."""
        self.mentions.setdefault((mention.id_kind, mention.user_id), mention)

    def structure(self) -> Structure:
        """The frozen structure summary."""
        return Structure(
            headings=tuple(self.headings),
            links=tuple(self.links),
            attachments=tuple(AttachmentRef(f, c) for f, c in self.attachments),
            mentions=tuple(self.mentions.values()),
            page_properties=MappingProxyType(dict(self.properties)),
            has_toc=self.has_toc,
            dynamic_macros=tuple(self.dynamic),
            tables=tuple(self.tables),
            anchors=tuple(self.anchors),
            statuses=tuple(self.statuses),
            includes=tuple(self.includes),
            excerpt=self.excerpt,
            excerpt_hidden=self.excerpt_hidden,
            inline_comment_refs=tuple(self.comment_refs),
        )

    def report(self) -> FidelityReport:
        """The frozen fidelity report."""
        return FidelityReport(
            elements=MappingProxyType(
                dict(sorted((local_name(k), v) for k, v in self.elements.items()))
            ),
            fallbacks=MappingProxyType(dict(sorted(self.fallbacks.items()))),
            warnings=tuple(self.warnings),
            recovered=self.recovered,
        )
