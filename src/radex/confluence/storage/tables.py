"""Tables as GFM pipe tables: merged cells filled, block content ``<br>``-joined, nesting flattened.

- The first row is the header when it sits in ``thead`` or all its cells are ``th``; otherwise
  the table gets an empty header row (GFM requires one).
- ``colspan``/``rowspan`` copy the origin cell's text into every covered cell, so each row reads
  whole on its own; the table is recorded as ``merged`` for the chunker.
- A table inside a cell becomes ``key: value; …`` text, one row per ``<br>``.
- A table whose expanded grid would exceed ``MAX_GRID_CELLS`` is written row by row instead,
  so hostile spans cannot blow up memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from radex.confluence.storage.model import TableInfo

if TYPE_CHECKING:
    from lxml import etree

    from radex.confluence.storage.render import Renderer

    Element = etree._Element

_BR_SPACES = re.compile(r"\s*<br>\s*")
_AMP_TAIL = re.compile(r"(\\*)&#?[0-9A-Za-z]+$")

MAX_COLSPAN = 100
MAX_GRID_CELLS = 200_000
_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})


def render_table(r: Renderer, el: Element) -> list[str]:
    """Blocks for one ``table`` element."""
    rows = _rows(el)
    caption = el.find("caption")
    blocks: list[str] = []
    if caption is not None:
        text = r.inline_text(caption)
        if text:
            blocks.append(f"*{text}*")
    if not rows:
        return blocks
    header = _is_header(rows[0])
    nested = r.in_cell
    grid, merged, capped = _grid(r, rows)
    cols = max((len(row) for row in grid), default=0)
    r.col.tables.append(TableInfo(len(grid), cols, header, merged))
    if cols == 0:
        return blocks
    if r.props_depth and not nested:
        _collect_properties(r, grid, header)
    if nested:
        return [*blocks, _flatten(grid, header)]
    if capped:
        r.col.warn("a table too large to lay out as a grid was written row by row")
        r.col.fallback("table-too-large")
        return blocks + [_joined(c for c in row if c) for row in grid if any(row)]
    for row in grid:
        row.extend([""] * (cols - len(row)))
    lines = []
    if header:
        lines.append(_line(grid[0]))
        body = grid[1:]
    else:
        lines.append(_line([""] * cols))
        body = grid
    lines.append("|" + " --- |" * cols)
    lines.extend(_line(row) for row in body)
    blocks.append("\n".join(lines))
    return blocks


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _rows(table: Element) -> list[Element]:
    rows: list[Element] = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag in _SECTIONS:
            rows.extend(c for c in child if c.tag == "tr")
    return rows


def _is_header(tr: Element) -> bool:
    parent = tr.getparent()
    if parent is not None and parent.tag == "thead":
        return True
    cells = [c for c in tr if c.tag in _CELLS]
    return bool(cells) and all(c.tag == "th" for c in cells)


def _span(value: str | None, limit: int) -> int:
    if value is None:
        return 1
    value = value.strip()
    if not value.isdigit():
        return 1
    return max(1, min(int(value), limit))


def _grid(r: Renderer, rows: list[Element]) -> tuple[list[list[str]], bool, bool]:
    """Lay cells out on a grid, copying spanned cells; (grid, merged, capped)."""
    grid: list[list[str | None]] = [[] for _ in rows]
    merged = False
    budget = MAX_GRID_CELLS
    for ri, tr in enumerate(rows):
        row = grid[ri]
        ci = 0
        for cell in tr:
            if cell.tag not in _CELLS:
                continue
            text = r.cell(cell)
            colspan = _span(cell.get("colspan"), MAX_COLSPAN)
            rowspan = _span(cell.get("rowspan"), len(rows) - ri)
            if budget <= 0:
                colspan = rowspan = 1
            if colspan > 1 or rowspan > 1:
                merged = True
            while ci < len(row) and row[ci] is not None:
                ci += 1
            for dr in range(rowspan):
                target = grid[ri + dr]
                if len(target) < ci + colspan:
                    target.extend([None] * (ci + colspan - len(target)))
                for dc in range(colspan):
                    target[ci + dc] = text
            budget -= colspan * rowspan
            ci += colspan
    filled = [[c if c is not None else "" for c in row] for row in grid]
    return filled, merged, budget < 0


def _flatten(grid: list[list[str]], header: bool) -> str:
    """A nested table as ``key: value; …`` text, rows separated by ``<br>``.

    Cell text is unescaped for ``|`` because the enclosing cell escapes it again.
    """
    grid = [[_inline_cell(cell) for cell in row] for row in grid]
    heads = grid[0] if header else []
    body = grid[1:] if header else grid
    lines = []
    if header and not body:
        lines.append(_joined(h for h in heads if h))
    for row in body:
        if heads and len(heads) >= len(row):
            pairs = [f"{h}: {v}" if h else v for h, v in zip(heads, row, strict=False) if v]
        elif len(row) == 2 and row[0]:
            pairs = [f"{row[0]}: {row[1]}"]
        else:
            pairs = [c for c in row if c]
        if pairs:
            lines.append(_joined(pairs))
    text = "<br>".join(line for line in lines if line.strip())
    return _BR_SPACES.sub("<br>", text).strip()


def _joined(parts: Iterable[str]) -> str:
    """``parts`` joined by ``; ``: an ``&`` ending a part, which the ``;`` would turn into the
    start of an entity (``&0;``), is escaped as running text escapes it."""
    items = list(parts)
    return "; ".join([*map(_guard_tail, items[:-1]), *items[-1:]])


def _guard_tail(part: str) -> str:
    """``part`` with an unescaped ``&`` starting its last word escaped."""
    m = _AMP_TAIL.search(part)
    if m is None or len(m.group(1)) % 2:  # no such tail, or its ``&`` is escaped already
        return part
    at = m.end(1)
    return part[:at] + "\\" + part[at:]


def _collect_properties(r: Renderer, grid: list[list[str]], header: bool) -> None:
    """Page-properties key/values: vertical rows ``key | value`` or one header + one data row."""
    props = r.col.properties
    if header and len(grid) >= 2:
        pairs = list(zip(grid[0], grid[1], strict=False))
    else:
        pairs = [(row[0], row[1]) for row in grid if len(row) >= 2]
    for key, value in pairs:
        key = key.strip("*_ ").replace("\\|", "|")
        if key and key not in props:
            props[key] = value.strip().replace("\\|", "|")


_CHECKBOXES = ("- [ ]", "- [x]", "- [decided]", "- [undecided]")


def _inline_cell(cell: str) -> str:
    """A cell's text ready to sit inside another cell's line.

    Pipes are unescaped (the enclosing cell escapes them again) and task checkboxes, which
    only mean something at the start of a line, are escaped so they stay text.
    """
    cell = cell.replace("\\|", "|")
    if "- [" not in cell:
        return cell
    lines = cell.split("<br>")
    for i, line in enumerate(lines):
        for box in _CHECKBOXES:
            if line.startswith(box):
                lines[i] = "- \\[" + box[3:-1] + "\\]" + line[len(box) :]
                break
    return "<br>".join(lines)
