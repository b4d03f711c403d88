"""Shared pieces of the walker: tag sets, block joining, text extraction.

Kept apart from :mod:`.render` so handler modules can use them without import cycles.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from lxml import etree

from radex.confluence.storage.parse import AC
from radex.confluence.storage.text import collapse, indent

if TYPE_CHECKING:
    Element = etree._Element

MAX_RENDER_DEPTH = 100
"""Element depth past which a subtree is flattened to plain text (with a warning)."""

SKIP_TEXT = frozenset(
    {
        AC + "parameter",
        AC + "default-parameter",
        AC + "placeholder",
        AC + "task-id",
        AC + "task-uuid",
        AC + "task-status",
        AC + "adf-attribute",
    }
)
"""Elements whose text is never visible on the page."""

MACRO_TAGS = frozenset({AC + "structured-macro", AC + "macro"})
"""Macro elements (current and legacy)."""

TRANSPARENT = frozenset(
    {
        "span",
        "font",
        "u",
        "ins",
        "small",
        "big",
        "mark",
        "abbr",
        "acronym",
        "q",
        "label",
        "bdi",
        "bdo",
        "nobr",
        "colgroup",
        AC + "inline-comment-marker",
        AC + "link-body",
        AC + "plain-text-link-body",
        AC + "rich-text-body",
        AC + "task-body",
        AC + "adf-content",
        AC + "adf-fallback",
        AC + "caption",
    }
)
"""Elements that add nothing themselves: their content flows on as if they were absent."""

FLOW_BLOCKS = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "figure",
        "figcaption",
        "center",
        "address",
        "form",
        "fieldset",
        "details",
        "dl",
        "dd",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "li",
        "body",
        "html",
    }
)
"""Containers that start a block of their own and render their content as a flow."""

BLOCK_TAGS = FLOW_BLOCKS | frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "dt",
        "table",
        AC + "task-list",
        AC + "task",
        AC + "layout",
        AC + "layout-section",
        AC + "layout-cell",
        AC + "adf-extension",
    }
)
"""Every tag rendered as blocks of its own (a macro body holding one is not inline)."""


def add_blocks(blocks: list[str], new: list[str], *, separate_lists: bool = True) -> None:
    """Append blocks, keeping two adjacent lists of the same kind from merging.

    Inside a table cell (``separate_lists=False``) lists cannot merge, so markers stay as is.
    """
    for block in new:
        if not block:
            continue
        if separate_lists and blocks:
            kind = list_kind(block)
            if kind and kind == list_kind(blocks[-1]):
                block = alternate_markers(block, kind)
        blocks.append(block)


def list_kind(block: str) -> str:
    """``-``/``*``/``.``/``)`` when the block is a list with that marker, else ""."""
    first = block[:1]
    if first in "-*" and first and (len(block) == 1 or block[1] in " \n"):
        return first
    i = 0
    while i < len(block) and i < 10 and block[i].isdigit():
        i += 1
    if i and i < len(block) and block[i] in ".)" and (i + 1 == len(block) or block[i + 1] in " \n"):
        return block[i]
    return ""


def alternate_markers(block: str, kind: str) -> str:
    """Rewrite a list's top-level markers (``-``↔``*``, ``.``↔``)``) so it starts a new list."""
    swap = {"-": "*", "*": "-", ".": ")", ")": "."}[kind]
    out = []
    for line in block.split("\n"):
        if line and not line.startswith(" "):
            if kind in "-*" and line[0] == kind:
                line = swap + line[1:]
            elif kind in ".)":
                i = 0
                while i < len(line) and line[i].isdigit():
                    i += 1
                if i and line[i : i + 1] == kind:
                    line = line[:i] + swap + line[i + 1 :]
        out.append(line)
    return "\n".join(out)


def cell_line(blocks: list[str]) -> str:
    """Join blocks into one table-cell line (indentation does not survive ``<br>``)."""
    lines = [line.strip() for b in blocks for line in b.split("\n")]
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def flatten(blocks: list[str]) -> str:
    """Blocks squeezed onto one line, for block content met in an inline position.

    Marker comments are dropped: they only mean something on lines of their own.
    """
    return " ".join(
        line.strip()
        for b in blocks
        if not (b.startswith("<!--") and b.endswith("-->") and "\n" not in b)
        for line in b.split("\n")
        if line.strip()
    )


def plain_text(el: Element) -> str:
    """Visible text of an element (parameters, placeholders and task ids left out), collapsed."""
    parts: list[str] = []
    _plain(el, parts, 0)
    return collapse("".join(parts)).strip()


def _plain(el: Element, parts: list[str], depth: int) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in SKIP_TEXT:
            if depth < MAX_RENDER_DEPTH:
                _plain(child, parts, depth + 1)
            else:
                parts.extend(str(t) for t in child.itertext())
            if tag in BLOCK_TAGS or tag == "br":
                parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def raw_text(el: Element) -> str:
    """All text of an element verbatim in document order, ``<br>`` as newlines (for ``pre``)."""
    parts: list[str] = []
    for event, node in etree.iterwalk(el, events=("start", "end")):
        if event == "start":
            if node.tag == "br":
                parts.append("\n")
            if node.text and (node is el or node.tag not in SKIP_TEXT):
                parts.append(node.text)
        elif node is not el and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def list_item(
    marker: str, blocks: list[str], width: int | None = None, *, cell: bool = False
) -> str:
    """One list item: the first block after the marker, the rest indented to its content."""
    if not blocks:
        return marker
    pad = " " * (width if width is not None else len(marker) + 1)
    body = join_item_blocks(blocks)
    if blocks[0] == "---" and not cell:  # "- ---" would read as a thematic break
        # after "- [ ]" (a paragraph) the rule needs a blank line, or it underlines a heading
        return marker + ("\n\n" if "[" in marker else "\n") + indent(body, pad)
    return indent(body, pad, first=marker + " ")


def join_item_blocks(blocks: list[str]) -> str:
    """Join an item's blocks: a list right after a paragraph stays tight, the rest loose.

    Only a list whose first item has content may follow a paragraph line directly: an empty
    ``-`` would turn the paragraph into a setext heading, and an ordered list that does not
    start at 1 would be read as more paragraph text.
    """
    out = [blocks[0]]
    for prev, block in pairwise(blocks):
        tight = _interrupts(block) and _is_paragraph(prev)
        out.append(("\n" if tight else "\n\n") + block)
    return "".join(out)


def _is_paragraph(block: str) -> bool:
    if list_kind(block) or block == "---":
        return False
    return not block.startswith(("<", "```", "|", ">", "#"))


def _interrupts(block: str) -> bool:
    first = block.split("\n", 1)[0]
    return len(first) > 2 and (first[:2] in ("- ", "* ") or first[:3] in ("1. ", "1) "))
