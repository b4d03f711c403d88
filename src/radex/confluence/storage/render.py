"""The walker: one pass over the parsed tree, dispatching each element to a small handler.

Containers (the body, ``p``, ``li``, ``td``, macro bodies, ...) are rendered as *flows*:
inline content accumulates in an :class:`InlineBuf` and becomes paragraphs; block elements
flush it and add their own blocks. Handlers live in ``blocks``/``marks`` (HTML),
``links``/``elements`` (Confluence ``ac:`` elements), ``tables`` and ``macros``. Deep trees
are flattened to text past ``MAX_RENDER_DEPTH`` so the walk never nears Python's recursion
limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from lxml import etree

from radex.confluence.storage import blocks, elements, links, macros, marks, tables
from radex.confluence.storage.common import (
    FLOW_BLOCKS,
    MACRO_TAGS,
    MAX_RENDER_DEPTH,
    SKIP_TEXT,
    TRANSPARENT,
    add_blocks,
    cell_line,
    flatten,
    plain_text,
)
from radex.confluence.storage.inline import InlineBuf, one_line, paragraphs
from radex.confluence.storage.model import ConvertContext, Flavor
from radex.confluence.storage.parse import AC, RI, local_name
from radex.confluence.storage.report import Collector

if TYPE_CHECKING:
    Element = etree._Element

_BREAKS = re.compile(r"\n(?: *\n)+")

BlockHandler = Callable[["Renderer", "Element"], list[str]]
InlineHandler = Callable[["Renderer", "Element", InlineBuf], None]


class Renderer:
    """Converts parsed storage elements to Markdown blocks, filling a Collector as it goes."""

    __slots__ = (
        "cell_depth",
        "col",
        "ctx",
        "depth",
        "flavor",
        "include_level",
        "include_stack",
        "link_depth",
        "marks",
        "props_depth",
    )

    def __init__(self, ctx: ConvertContext, flavor: Flavor, col: Collector) -> None:
        self.ctx = ctx
        self.flavor = flavor
        self.col = col
        self.depth = 0
        self.cell_depth = 0
        self.link_depth = 0
        self.props_depth = 0
        self.marks: set[str] = set()
        self.include_stack: list[str] = []
        self.include_level = 0

    # ----------------------------------------------------------------- flows

    def flow(self, el: Element) -> list[str]:
        """Blocks for a container whose children mix inline content and blocks."""
        out: list[str] = []
        buf = InlineBuf()
        self._flow_into(el, out, buf)
        self._flush(out, buf)
        return out

    def flow_all(self, els: list[Element]) -> list[str]:
        """Blocks of several containers in order."""
        out: list[str] = []
        for el in els:
            self.add(out, self.flow(el))
        return out

    def add(self, out: list[str], new: list[str]) -> None:
        """Append blocks to ``out`` (adjacent lists kept apart, except inside a table cell)."""
        add_blocks(out, new, separate_lists=self.cell_depth == 0)

    def block(self, el: Element) -> list[str]:
        """Blocks for one element through its block handler (a flow if it has none)."""
        handler = BLOCKS.get(el.tag) if isinstance(el.tag, str) else None
        return handler(self, el) if handler is not None else self.flow(el)

    def _flush(self, out: list[str], buf: InlineBuf) -> None:
        if not buf.empty:
            self.add(out, paragraphs(buf.value(), self.cell_depth > 0))
            buf.clear()

    def _flow_into(self, el: Element, out: list[str], buf: InlineBuf) -> None:
        if el.text:
            buf.text(el.text)
        self.depth += 1
        try:
            for child in el:
                tag = child.tag
                if isinstance(tag, str):
                    if self.depth > MAX_RENDER_DEPTH:
                        self._too_deep(child, buf)
                    elif tag in BLOCKS:
                        self.col.count(tag)
                        self._flush(out, buf)
                        self.add(out, BLOCKS[tag](self, child))
                    elif tag in MACRO_TAGS:
                        result = macros.render_macro(self, child)
                        if isinstance(result, str):
                            self.macro_inline(result, buf)
                        else:
                            self._flush(out, buf)
                            self.add(out, result)
                    elif tag in INLINE:
                        self.col.count(tag)
                        INLINE[tag](self, child, buf)
                    elif tag in TRANSPARENT:
                        self.col.count(tag)
                        self._flow_into(child, out, buf)
                    elif tag in FLOW_BLOCKS:
                        self.col.count(tag)
                        self._flush(out, buf)
                        self.add(out, self.flow(child))
                    elif tag not in SKIP_TEXT and not tag.startswith(RI):
                        self.col.fallback("element:" + local_name(tag))
                        self._flow_into(child, out, buf)
                if child.tail:
                    buf.text(child.tail)
        finally:
            self.depth -= 1

    # ---------------------------------------------------------------- inline

    def inline(self, el: Element, buf: InlineBuf) -> None:
        """Render the content of ``el`` as inline Markdown into ``buf``."""
        if el.text:
            buf.text(el.text)
        self.depth += 1
        try:
            for child in el:
                tag = child.tag
                if isinstance(tag, str):
                    if self.depth > MAX_RENDER_DEPTH:
                        self._too_deep(child, buf)
                    elif tag in INLINE:
                        self.col.count(tag)
                        INLINE[tag](self, child, buf)
                    elif tag in MACRO_TAGS:
                        result = macros.render_macro(self, child)
                        self.macro_inline(
                            result if isinstance(result, str) else flatten(result), buf
                        )
                    elif tag in BLOCKS or tag in FLOW_BLOCKS:
                        self.col.count(tag)
                        buf.space_()
                        self.inline(child, buf)
                        buf.space_()
                    elif tag not in SKIP_TEXT and not tag.startswith(RI):
                        if tag not in TRANSPARENT:
                            self.col.fallback("element:" + local_name(tag))
                        self.inline(child, buf)
                if child.tail:
                    buf.text(child.tail)
        finally:
            self.depth -= 1

    def inline_text(self, el: Element) -> str:
        """The content of ``el`` as one line of inline Markdown (breaks become spaces)."""
        buf = InlineBuf()
        self.inline(el, buf)
        return one_line(buf.value())

    def inline_parts(self, el: Element, marker: str = "") -> tuple[bool, str, bool]:
        """(leading space?, content, trailing space?) of ``el``; ``marker`` is not nested."""
        nested = bool(marker) and marker not in self.marks
        if nested:
            self.marks.add(marker)
        try:
            sub = InlineBuf(space=False)
            self.inline(el, sub)
        finally:
            if nested:
                self.marks.discard(marker)
        inner = sub.value()
        core = inner.strip(" \n")
        if "\n\n" in core:  # a blank line would end the paragraph inside the mark
            core = _BREAKS.sub("\n", core)
        if not core:
            return bool(inner), "", False
        return inner[0] in " \n", core, inner[-1] in " \n"

    def macro_inline(self, text: str, buf: InlineBuf) -> None:
        """Add a macro's inline result, kept apart from the words around it."""
        if not text:
            return
        if text.startswith("<!--"):  # a marker: no words to keep apart
            buf.literal(text)
            return
        buf.apart(text)

    def _too_deep(self, el: Element, buf: InlineBuf) -> None:
        self.col.warn(f"elements nested deeper than {MAX_RENDER_DEPTH} levels were flattened")
        self.col.fallback("deep-nesting")
        buf.space_()
        buf.text(plain_text(el))
        buf.space_()

    # ----------------------------------------------------------------- cells

    def cell(self, el: Element) -> str:
        """A table cell's content on one line: blocks joined with ``<br>``, pipes escaped."""
        self.cell_depth += 1
        try:
            blocks = self.flow(el)
        finally:
            self.cell_depth -= 1
        return cell_line(blocks)

    @property
    def in_cell(self) -> bool:
        """True while rendering inside a table cell."""
        return self.cell_depth > 0


BLOCKS: dict[str, BlockHandler] = {
    "p": blocks.paragraph,
    "h1": blocks.heading,
    "h2": blocks.heading,
    "h3": blocks.heading,
    "h4": blocks.heading,
    "h5": blocks.heading,
    "h6": blocks.heading,
    "hr": blocks.hr,
    "blockquote": blocks.blockquote,
    "pre": blocks.pre,
    "ul": blocks.html_list,
    "ol": blocks.html_list,
    "dt": blocks.dt,
    "table": tables.render_table,
    AC + "task-list": elements.task_list,
    AC + "task": elements.task_list_of_one,
    AC + "layout": elements.layout,
    AC + "layout-section": elements.layout,
    AC + "layout-cell": blocks.flow_one,
    AC + "adf-extension": elements.adf_extension,
}
"""Block tag -> handler."""

INLINE: dict[str, InlineHandler] = {
    **dict.fromkeys(marks.MARKS, marks.mark),
    **dict.fromkeys(marks.CODE_TAGS, marks.code),
    **dict.fromkeys(marks.HTML_INLINE, marks.html_inline),
    "br": marks.br,
    "a": links.anchor,
    "img": links.html_image,
    "time": elements.time,
    AC + "link": links.ac_link,
    AC + "image": links.ac_image,
    AC + "emoticon": elements.emoticon,
    AC + "inline-comment-marker": elements.inline_comment,
    AC + "placeholder": elements.skip,
    RI + "user": links.bare_user,
}
"""Inline tag -> handler."""
