"""Confluence storage format -> clean GitHub-flavoured Markdown (pure: lxml, no I/O).

``storage_to_markdown(body)`` parses a storage-format body safely (see :mod:`.parse`), walks
it once (see :mod:`.render`) and returns a :class:`Conversion`: the Markdown, a structure
summary for the chunker and link graph, and a fidelity report counting every fallback.
"""

from __future__ import annotations

from radex.confluence.storage.model import (
    DEFAULT_MAX_BODY_CHARS,
    AttachmentRef,
    Conversion,
    ConvertContext,
    FidelityReport,
    Flavor,
    Heading,
    IncludedPage,
    IncludeRef,
    LinkKind,
    LinkRef,
    ListingEntry,
    Mention,
    PageRef,
    Status,
    Structure,
    TableInfo,
    UserIdKind,
)
from radex.confluence.storage.parse import AC_NS, RI_NS, parse_storage
from radex.confluence.storage.render import Renderer
from radex.confluence.storage.report import Collector
from radex.errors import ConversionError

__all__ = [
    "AC_NS",
    "DEFAULT_MAX_BODY_CHARS",
    "RI_NS",
    "AttachmentRef",
    "Conversion",
    "ConversionError",
    "ConvertContext",
    "FidelityReport",
    "Flavor",
    "Heading",
    "IncludeRef",
    "IncludedPage",
    "LinkKind",
    "LinkRef",
    "ListingEntry",
    "Mention",
    "PageRef",
    "Status",
    "Structure",
    "TableInfo",
    "UserIdKind",
    "storage_to_markdown",
]

_EMPTY = ConvertContext()


def storage_to_markdown(
    body: str | bytes, *, flavor: Flavor = "cloud", context: ConvertContext | None = None
) -> Conversion:
    """Convert a storage-format body to Markdown with its structure and fidelity report.

    Raises ConversionError for input that cannot be converted (not UTF-8, too large, nested
    deeper than 255 elements, a DTD, or markup that even the HTML parser cannot recover).
    """
    if flavor not in ("cloud", "dc"):
        raise ConversionError(f"flavor must be 'cloud' or 'dc', not {flavor!r}")
    ctx = context or _EMPTY
    parsed = parse_storage(body, max_chars=ctx.max_body_chars)
    col = Collector()
    col.recovered = parsed.recovered
    col.warnings.extend(parsed.warnings)
    renderer = Renderer(ctx, flavor, col)
    if ctx.page_id:
        renderer.include_stack.append(f"id:{ctx.page_id}")
    if ctx.page_title:
        renderer.include_stack.append(PageRef("page", ctx.page_title, ctx.space_key).key())
    blocks = renderer.flow(parsed.root)
    markdown = "\n\n".join(blocks) + "\n" if blocks else ""
    return Conversion(markdown, col.structure(), col.report())
