"""XLSX: each worksheet as a bounded GFM table of cached cell values (openpyxl, read-only)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl

from radex.extract.md import MAX_COLUMNS, Budget, gfm_table
from radex.extract.model import Extraction, Limits, Section
from radex.extract.sniff import XLSX

_SCAN_FACTOR = 4


def extract_xlsx(data: bytes, limits: Limits) -> Extraction:
    """Every worksheet (up to ``max_sheets``) as a table, located as "sheet NAME"."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return _read(book, limits)
    finally:
        book.close()


def _read(book: Any, limits: Limits) -> Extraction:
    """Sheets to sections, within the limits."""
    budget = Budget(limits)
    warnings: list[str] = []
    sections: list[Section] = []
    truncated = False
    sheets = list(book.worksheets)
    if len(sheets) > limits.max_sheets:
        truncated = True
        warnings.append(
            f"the workbook has {len(sheets)} sheets; only the first {limits.max_sheets} were read"
        )
    for sheet in sheets[: limits.max_sheets]:
        if budget.exhausted:
            truncated = True
            warnings.append(f"stopped before sheet {sheet.title}: {budget.reason()}")
            break
        rows, cut = _rows(sheet, limits.max_rows_per_sheet, budget)
        if cut:
            truncated = True
            warnings.append(f"sheet {sheet.title}: {cut}")
        table = gfm_table(rows) if rows else ""
        if table:
            budget.spend(table)
            sections.append(Section(table, locator=f"sheet {sheet.title}"))
    title = str(getattr(book.properties, "title", None) or "").strip() or None
    return Extraction(XLSX, tuple(sections), title, tuple(warnings), truncated)


def _rows(sheet: Any, max_rows: int, budget: Budget) -> tuple[list[list[str]], str | None]:
    """Non-empty rows as text cells (trailing empty columns dropped) and why reading stopped."""
    rows: list[list[str]] = []
    cut: str | None = None
    wide = False
    spent = 0
    scan = max_rows * _SCAN_FACTOR + 1000  # empty rows are skipped, but not without end
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # the stored dimension may be wrong: read the cells there are
    for scanned, values in enumerate(sheet.iter_rows(values_only=True)):
        if scanned >= scan:
            cut = f"stopped after scanning {scan} rows (mostly empty)"
            break
        if len(values) > MAX_COLUMNS:
            wide = wide or any(v is not None for v in values[MAX_COLUMNS:])
            values = values[:MAX_COLUMNS]
        cells = [_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if len(rows) >= max_rows:
            cut = f"only the first {max_rows} rows were read"
            break
        spent += sum(len(c) + 3 for c in cells)
        if spent > budget.chars_left or budget.out_of_time:
            cut = f"stopped after {len(rows)} rows: {budget.reason()}"
            break
        rows.append(cells)
    lead = min((len(r) - len(_lstrip(r)) for r in rows), default=0)
    rows = [r[lead:] for r in rows]
    if wide:
        note = f"only the first {MAX_COLUMNS} columns were read"
        cut = f"{cut}; {note}" if cut else note
    return rows, cut


def _lstrip(cells: list[str]) -> list[str]:
    """Cells from the first non-empty one."""
    start = next((i for i, c in enumerate(cells) if c), len(cells))
    return cells[start:]


def _text(value: Any) -> str:
    """A cell value as text: integral floats without ``.0``, dates in ISO form, booleans upper."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
