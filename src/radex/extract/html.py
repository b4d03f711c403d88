"""HTML: visible text as Markdown with headings, lists, tables, code and links (lxml.html)."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree

from radex.extract.decode import decode_text
from radex.extract.md import Budget, escape_lines, fence, gfm_table, inline, join_blocks
from radex.extract.model import Extraction, Limits, Section
from radex.extract.sniff import HTML

_DROP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "select",
        "button",
        "input",
        "textarea",
        "form",
        "map",
    ]
)
_BLOCK = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "aside",
        "address",
        "figure",
        "figcaption",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "fieldset",
        "legend",
        "center",
    ]
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~"}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_PROLOG = re.compile(  # an XML declaration and a DOCTYPE with an internal subset: never parsed
    r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^\[>]*(?:\[[^\]]*\])?\s*>)?", re.IGNORECASE
)
_MAX_DEPTH = 100
_LIST_LINE = re.compile(r"^(?:[-*+]|\d+[.)])(?:\s|$)")


def extract_html(data: bytes, limits: Limits) -> Extraction:
    """The document's visible text as one Markdown section; scripts and styles dropped."""
    decoded = decode_text(data)
    text = _PROLOG.sub("", decoded.text, count=1)
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    warnings = [w for w in (decoded.warning,) if w]
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except etree.ParserError:  # "Document is empty": only whitespace or comments
        return Extraction(HTML, (), None, (*warnings, "the HTML has no content"))
    title = inline(root.findtext(".//title") or "") or None
    body = root.find("body")
    renderer = _Renderer(Budget(limits))
    markdown = join_blocks(renderer.flow(body if body is not None else root, 0))
    if any("depth" in entry.message.lower() for entry in parser.error_log):
        warnings.append("the HTML is nested too deeply; content past 255 levels was dropped")
    elif renderer.flattened:
        warnings.append(
            f"the HTML is nested deeply; content past {_MAX_DEPTH} levels is plain text"
        )
    if renderer.stopped:
        warnings.append(f"stopped early: {renderer.budget.reason()}")
    sections = (Section(markdown),) if markdown else ()
    return Extraction(HTML, sections, title, tuple(warnings), renderer.stopped)


class _Renderer:
    """Walks an element tree; containers are flows of blocks, inline text gathers per block."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.stopped = False
        self.flattened = False

    def flow(self, element: Any, depth: int) -> list[str]:
        """The Markdown blocks of a container's children."""
        blocks: list[str] = []
        words: list[str] = [_text(element.text)]
        for child in element:
            if self.budget.exhausted:
                self.stopped = True
                break
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag and tag not in _DROP and self._is_block(tag):
                blocks.append(self._para(words))
                words = []
                blocks.append(self.block(child, tag, depth + 1))
            elif tag not in _DROP:
                words.append(self.inline(child, tag, depth + 1))
            words.append(_text(child.tail))
        blocks.append(self._para(words))
        return [b for b in blocks if b.strip()]

    def _para(self, words: list[str]) -> str:
        """Gathered inline text as one paragraph; ``<br>`` breaks kept as hard line breaks."""
        joined = "".join(words)
        if not joined or joined.isspace():
            return ""
        lines = [escape_lines(inline(part)) for part in joined.split("\n")]
        text = "\\\n".join(line for line in lines if line)
        self.budget.spend(text)
        return text

    def _is_block(self, tag: str) -> bool:
        """True for elements that start their own block."""
        return tag in _BLOCK or tag in _HEADINGS or tag in _STRUCTURE

    def block(self, element: Any, tag: str, depth: int) -> str:
        """One block element as Markdown."""
        if depth > _MAX_DEPTH:
            self.flattened = True
            return escape_lines(inline(element.text_content()))
        if tag in _HEADINGS:
            text = inline(self.inline(element, tag, depth))
            return f"{'#' * _HEADINGS[tag]} {text}" if text else ""
        if tag in ("ul", "ol"):
            return self.listing(element, tag == "ol", depth)
        if tag == "table":
            return self.table(element, depth)
        if tag == "pre":
            code = element.text_content()
            self.budget.spend(code)
            return fence(code)
        if tag == "blockquote":
            inner = join_blocks(self.flow(element, depth))
            return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
        if tag == "hr":
            return "---"
        if tag == "li":
            return self.listing(element, False, depth, [element])
        return join_blocks(self.flow(element, depth))

    def inline(self, element: Any, tag: str, depth: int) -> str:
        """An inline element's text, with emphasis, code spans, links and image alt text."""
        if depth > _MAX_DEPTH:
            self.flattened = True
            return _text(element.text_content())
        if tag == "br":
            return "\n"
        if tag == "img":
            alt = inline(str(element.get("alt") or ""))
            return f"[image: {alt}]" if alt else ""
        inner = _text(element.text) + "".join(
            (
                ""
                if not isinstance(c.tag, str) or c.tag.lower() in _DROP
                else self.inline(c, c.tag.lower(), depth + 1)
            )
            + _text(c.tail)
            for c in element
        )
        core = inline(inner)
        if not core:
            return inner if inner.isspace() else ""
        lead = " " if inner[:1].isspace() else ""
        trail = " " if inner[-1:].isspace() else ""
        if tag in _MARKS:
            return f"{lead}{_MARKS[tag]}{core}{_MARKS[tag]}{trail}"
        if tag in ("code", "kbd", "tt", "samp"):
            ticks = "``" if "`" in core else "`"
            return f"{lead}{ticks}{core}{ticks}{trail}"
        if tag == "a":
            href = str(element.get("href") or "").strip()
            scheme = _SCHEME.match(href)
            if href and (scheme is None or scheme.group(0).lower() in _SAFE_SCHEMES):
                target = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
                return f"{lead}[{core}]({target}){trail}"
        return inner

    def listing(self, element: Any, ordered: bool, depth: int, items: Any = None) -> str:
        """A ``ul``/``ol`` as Markdown list items; nested content indented under its item."""
        lines: list[str] = []
        number = int(element.get("start") or 1) if ordered else 0
        for item in element.iterchildren("li") if items is None else items:
            marker = f"{number}." if ordered else "-"
            number += 1
            content = _tight(self.flow(item, depth + 1))
            pad = " " * (len(marker) + 1)
            body = content.split("\n")
            lines.append(f"{marker} {body[0]}".rstrip())
            lines += [f"{pad}{line}".rstrip() if line else "" for line in body[1:]]
        return "\n".join(lines)

    def table(self, element: Any, depth: int) -> str:
        """A table as GFM; ``colspan`` repeats the cell; nested blocks joined with ``<br>``."""
        rows: list[list[str]] = []
        for row in element.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
            cells: list[str] = []
            for td in row.xpath("./td|./th"):
                text = join_blocks(self.flow(td, depth + 1))
                span = min(max(_int(td.get("colspan")), 1), 50)
                cells += [text] * span
            if cells:
                rows.append(cells)
        return gfm_table(rows) if rows else ""


_STRUCTURE = frozenset({"ul", "ol", "li", "table", "pre", "blockquote", "hr"})


def _tight(blocks: list[str]) -> str:
    """A list item's blocks: a nested list follows its text without a blank line."""
    out = ""
    for block in blocks:
        sep = "\n" if _LIST_LINE.match(block) else "\n\n"
        out = f"{out}{sep}{block}" if out else block
    return out


def _text(value: str | None) -> str:
    """Element text with whitespace runs collapsed (but kept)."""
    return re.sub(r"\s+", " ", value) if value else ""


def _int(value: str | None) -> int:
    """An attribute as an int, 1 when missing or bad."""
    try:
        return int(str(value).strip())
    except ValueError:
        return 1
