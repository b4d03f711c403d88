"""Markdown -> Confluence storage format, for the agent's write-back (pure).

CommonMark + GFM (tables, task lists, strikethrough) and RADEX's own conventions (callouts
``> [!INFO] Title``, ``<details>``, dynamic/macro markers) are parsed with markdown-it-py and
written as storage format with the matching macros. For Markdown produced by
:func:`radex.confluence.storage.storage_to_markdown`, Markdown -> storage -> Markdown returns
the same Markdown.
"""

from __future__ import annotations

from radex.confluence.markdown.writer import Writer, make_parser
from radex.confluence.storage import ConvertContext, Flavor
from radex.errors import ConversionError

__all__ = ["markdown_to_storage"]

_PARSER = make_parser()
_EMPTY = ConvertContext()


def markdown_to_storage(
    markdown: str, *, flavor: Flavor = "cloud", context: ConvertContext | None = None
) -> str:
    """Convert Markdown to a storage-format body (an XML fragment with ac:/ri: elements)."""
    if flavor not in ("cloud", "dc"):
        raise ConversionError(f"flavor must be 'cloud' or 'dc', not {flavor!r}")
    ctx = context or _EMPTY
    if len(markdown) > ctx.max_body_chars:
        raise ConversionError(
            f"Markdown has {len(markdown):,} characters, more than the limit of "
            f"{ctx.max_body_chars:,}",
            hint="split the document, or raise ConvertContext.max_body_chars if it is trusted",
        )
    try:
        markdown.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConversionError(
            f"Markdown contains an unpaired surrogate at character {exc.start}",
            hint="decode the source as UTF-8 without 'surrogateescape'",
        ) from None
    return Writer(ctx, flavor, _PARSER).document(markdown)
