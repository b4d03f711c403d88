"""HTML inline elements: emphasis, strike, code, sub/sup, line breaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from radex.confluence.storage.common import raw_text
from radex.confluence.storage.inline import InlineBuf, one_line
from radex.confluence.storage.text import collapse

if TYPE_CHECKING:
    from lxml import etree

    from radex.confluence.storage.render import Renderer

    Element = etree._Element

MARKS = {
    "strong": "**",
    "b": "**",
    "em": "*",
    "i": "*",
    "cite": "*",
    "dfn": "*",
    "var": "*",
    "s": "~~",
    "del": "~~",
    "strike": "~~",
}
"""Tags written as Markdown emphasis, with their marker."""

CODE_TAGS = frozenset({"code", "tt", "kbd", "samp"})
HTML_INLINE = frozenset({"sub", "sup"})


def mark(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """Emphasis/strong/strike; a mark already open is not nested again."""
    marker = MARKS[el.tag]
    if marker in r.marks:
        r.inline(el, buf)
        return
    lead, core, trail = r.inline_parts(el, marker)
    around(buf, lead, trail, lambda: buf.wrapped(marker, core) if core else None)


def around(buf: InlineBuf, lead: bool, trail: bool, add: Callable[[], object]) -> None:
    """Add content with the spaces that surrounded it inside its element moved outside."""
    if lead:
        buf.space_()
    add()
    if trail:
        buf.space_()


def html_inline(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """``sub``/``sup`` kept as inline HTML."""
    lead, core, trail = r.inline_parts(el)
    core = one_line(core)
    tag = el.tag
    around(buf, lead, trail, lambda: buf.literal(f"<{tag}>{core}</{tag}>") if core else None)


def code(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """Inline code as a code span."""
    content = collapse(raw_text(el).replace("\n", " "))
    core = content.strip()
    if not core:  # blank code still separates the words around it
        if content:
            buf.space_()
        return
    if content[0] == " ":
        buf.space_()
    buf.code_span(core)
    if content[-1] == " ":
        buf.space_()


def br(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """A hard line break."""
    buf.brk()
