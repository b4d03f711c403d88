"""DOCX: headings, paragraphs, lists and tables in body order, as Markdown (python-docx)."""

from __future__ import annotations

import io
import re
from typing import Any

import docx
from docx.table import Table
from docx.text.run import Run

from radex.extract.md import Budget, escape_lines, gfm_table, inline
from radex.extract.model import Extraction, Limits, Section
from radex.extract.sniff import DOCX

_HEADING = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list\s+(bullet|number)(?:\s+(\d))?$", re.IGNORECASE)
_SAFE_URL = re.compile(r"^(?:https?:|mailto:)", re.IGNORECASE)


def extract_docx(data: bytes, limits: Limits) -> Extraction:
    """The body of a Word document as one Markdown section, in reading order."""
    document = docx.Document(io.BytesIO(data))
    budget = Budget(limits)
    lines: list[tuple[str, str]] = []  # (kind, markdown): kind "li" joins without blank lines
    title: str | None = None
    warnings: list[str] = []
    truncated = False
    styles = {str(style.style_id): str(style.name or "") for style in document.styles}
    for block in document.iter_inner_content():
        if budget.exhausted:
            truncated = True
            warnings.append(f"stopped early: {budget.reason()}")
            break
        if isinstance(block, Table):
            kind, text = "table", _table(block)
        else:
            kind, text = _paragraph(block, document, styles)
            if kind == "title" and title is None:
                title = inline(block.text) or None
        if text:
            budget.spend(text)
            lines.append((kind, text))
    core_title = inline(str(document.core_properties.title or ""))
    markdown = _join(lines)
    sections = (Section(markdown),) if markdown else ()
    return Extraction(DOCX, sections, core_title or title, tuple(warnings), truncated)


def _paragraph(paragraph: Any, document: Any, styles: dict[str, str]) -> tuple[str, str]:
    """A paragraph's kind ("p", "h", "title", "li") and its Markdown line(s)."""
    style = styles.get(str(paragraph._p.style or ""), "")  # by id: python-docx's lookup is slow
    text = _runs(paragraph)
    if not text.strip():
        return "p", ""
    heading = _HEADING.match(style)
    if heading or style.lower() == "title":
        level = min(int(heading.group(1)), 6) if heading else 1
        return ("h" if heading else "title"), "#" * level + " " + inline(text)
    listed = _list_item(paragraph, style, document)
    if listed is not None:
        numbered, level = listed
        marker = "1." if numbered else "-"
        return "li", "   " * level + f"{marker} " + inline(text)
    return "p", text


def _runs(paragraph: Any) -> str:
    """Paragraph text with bold/italic runs marked and http(s)/mailto links kept."""
    parts: list[str] = []
    pending: list[str] = []
    style: tuple[bool, bool] = (False, False)

    def flush() -> None:
        """Wrap the pending run text in the marks of its style."""
        text = escape_lines("".join(pending))
        pending.clear()
        core = text.strip()
        if not core:
            parts.append(text)
            return
        mark = ("**" if style[0] else "") + ("*" if style[1] else "")
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        parts.append(f"{lead}{mark}{core}{mark[::-1]}{trail}")

    for item in paragraph.iter_inner_content():
        if isinstance(item, Run):
            current = (bool(item.bold), bool(item.italic))
            if current != style:
                flush()
                style = current
            pending.append(item.text)
            continue
        flush()
        label = inline(item.text)
        url = str(getattr(item, "url", "") or "")
        parts.append(f"[{label}]({url})" if label and _SAFE_URL.match(url) else label)
    flush()
    return "".join(parts).strip()


def _list_item(paragraph: Any, style: str, document: Any) -> tuple[bool, int] | None:
    """(numbered, level) when the paragraph is a list item, by numbering or list style."""
    by_style = _LIST_STYLE.match(style)
    ppr = paragraph._p.pPr
    num_pr = ppr.numPr if ppr is not None else None
    if num_pr is None or num_pr.numId is None:
        if by_style is None:
            return None
        level = int(by_style.group(2) or 1) - 1
        return by_style.group(1).lower() == "number", max(level, 0)
    level = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
    numbered = _numbered(document, int(num_pr.numId.val), level)
    if numbered is None:
        numbered = by_style is not None and by_style.group(1).lower() == "number"
    return numbered, min(max(level, 0), 8)


def _numbered(document: Any, num_id: int, level: int) -> bool | None:
    """Whether numbering ``num_id`` at ``level`` counts (decimal, letters) rather than bullets."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return None
    abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
    if not abstract:
        return None
    formats = numbering.xpath(
        f'./w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val'
    )
    return None if not formats else str(formats[0]) not in ("bullet", "none")


def _table(table: Any) -> str:
    """A Word table as a GFM table; the first row is the header."""
    rows = [[_cell_text(c) for c in row.cells] for row in table.rows]
    return gfm_table(rows) if rows else ""


def _cell_text(table_cell: Any) -> str:
    """A cell's paragraphs, one per line; a nested table becomes ``a; b`` lines."""
    lines: list[str] = []
    for block in table_cell.iter_inner_content():
        if isinstance(block, Table):
            lines += ["; ".join(inline(c.text) for c in row.cells) for row in block.rows]
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _join(lines: list[tuple[str, str]]) -> str:
    """Blocks separated by blank lines; consecutive list items stay one list."""
    out: list[str] = []
    for index, (kind, text) in enumerate(lines):
        if out:
            together = kind == "li" and lines[index - 1][0] == "li"
            out.append("\n" if together else "\n\n")
        out.append(text)
    return "".join(out)
