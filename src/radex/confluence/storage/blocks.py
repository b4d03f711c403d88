"""HTML block elements: paragraphs, headings, rules, quotes, ``pre``, lists, ``dt``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from radex.confluence.storage.common import SKIP_TEXT, list_item, plain_text, raw_text
from radex.confluence.storage.inline import InlineBuf, one_line, paragraphs
from radex.confluence.storage.model import Heading
from radex.confluence.storage.parse import AC
from radex.confluence.storage.text import (
    code_fence,
    escape_heading_end,
    heading_anchor,
    indent,
    quote_block,
)

if TYPE_CHECKING:
    from lxml import etree

    from radex.confluence.storage.render import Renderer

    Element = etree._Element


def paragraph(r: Renderer, el: Element) -> list[str]:
    """``p``: its inline content as paragraph(s)."""
    return r.flow(el)


def heading(r: Renderer, el: Element) -> list[str]:
    """``h1``–``h6`` as ATX headings (bold inside a table cell); recorded with anchors."""
    level = int(el.tag[1])
    text = bold_line(r, el) if r.in_cell else r.inline_text(el)
    if not text:
        return []
    plain = plain_text(el)
    r.col.headings.append(Heading(level, plain, heading_anchor(plain, r.flavor, r.ctx.page_title)))
    if r.in_cell:
        return [text]
    return ["#" * level + " " + escape_heading_end(text)]


def bold_line(r: Renderer, el: Element) -> str:
    """The content of ``el`` in bold on one line ("" when empty); inner bold is not doubled."""
    if "**" in r.marks:
        return r.inline_text(el)
    _, core, _ = r.inline_parts(el, "**")
    core = one_line(core)
    return f"**{core}**" if core else ""


def hr(r: Renderer, el: Element) -> list[str]:
    """``hr`` as ``---``."""
    return ["---"]


def blockquote(r: Renderer, el: Element) -> list[str]:
    """``blockquote`` as ``>`` lines."""
    blocks = r.flow(el)
    if not blocks or r.in_cell:  # a cell is one line: the quote's blocks just follow on
        return blocks
    return [quote_block("\n\n".join(blocks))]


def pre(r: Renderer, el: Element) -> list[str]:
    """``pre`` as a fence without language."""
    return code_block(r, raw_text(el), "")


def code_block(r: Renderer, content: str, language: str) -> list[str]:
    """A fenced code block, or code spans joined by ``<br>`` inside a table cell."""
    lines = content.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    content = "\n".join(lines).rstrip()
    if r.in_cell:
        buf = InlineBuf()
        for line in content.split("\n"):
            if line.strip():
                if not buf.empty:
                    buf.brk()
                buf.code_span(line.strip())
        return [] if buf.empty else [buf.value().replace("\n", "<br>")]
    return [code_fence(content, language)]


def html_list(r: Renderer, el: Element) -> list[str]:
    """``ul``/``ol`` (``start`` kept), nested lists indented to the item's content."""
    ordered = el.tag == "ol"
    number = _start(el.get("start")) if ordered else 0
    items: list[str] = []
    loose_text = InlineBuf()
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in SKIP_TEXT:
            continue
        if tag in ("ul", "ol", AC + "task-list") and items:
            # a list nested straight inside a list belongs to the previous item
            nested = r.block(child)
            items[-1] = (
                items[-1]
                + ("\n" if nested else "")
                + indent("\n".join(nested), " " * _width(items[-1]))
            )
            continue
        blocks = r.flow(child) if tag == "li" else r.block(child)
        marker = f"{number}." if ordered else "-"
        items.append(list_item(marker, blocks, cell=r.in_cell))
        number += 1
        if child.tail and child.tail.strip():
            loose_text.text(child.tail)
    if el.text and el.text.strip():
        loose_text.text(el.text)
    result = ["\n".join(items)] if items else []
    if not loose_text.empty:
        result.extend(paragraphs(loose_text.value(), r.in_cell))
    return result


def flow_one(r: Renderer, el: Element) -> list[str]:
    """Any container rendered as a flow."""
    return r.flow(el)


def _width(item: str) -> int:
    head = item.split(" ", 1)[0].split("\n", 1)[0]
    return len(head) + 1


def _start(value: str | None) -> int:
    if value and value.strip().isdigit():
        return min(int(value.strip()), 999_999_999)
    return 1


def dt(r: Renderer, el: Element) -> list[str]:
    """``dt`` as a bold line."""
    text = bold_line(r, el)
    return [text] if text else []
