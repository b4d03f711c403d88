"""Text formats: plain text, Markdown (passed through), CSV (as a table), JSON (bounded)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from radex.extract.decode import Decoded, decode_text
from radex.extract.md import MAX_COLUMNS, escape_lines, fence, gfm_table, tidy
from radex.extract.model import Extraction, Limits, Section
from radex.extract.sniff import CSV, JSON, MARKDOWN, PLAIN, csv_dialect

_FIRST_HEADING = re.compile(r"^#[ \t]+(\S[^\n]*)", re.MULTILINE)
_FENCED_JSON_MAX = 64 * 1024


def extract_plain(data: bytes, limits: Limits) -> Extraction:
    """Plain text, escaped so that no line turns into Markdown syntax."""
    decoded = decode_text(data)
    text, cut = _cap(tidy(decoded.text), limits)
    return _result(PLAIN, escape_lines(text), decoded, cut)


def extract_markdown(data: bytes, limits: Limits) -> Extraction:
    """Markdown as it is; the first ``#`` heading is the title."""
    decoded = decode_text(data)
    text, cut = _cap(tidy(decoded.text), limits)
    found = _FIRST_HEADING.search(text[:65536])
    title = found.group(1).strip().rstrip("#").strip()[:500] if found else None
    return _result(MARKDOWN, text, decoded, cut, title=title or None)


def extract_csv(data: bytes, limits: Limits) -> Extraction:
    """A CSV (or TSV, semicolon-separated) file as a GFM table, ``max_rows_per_sheet`` rows."""
    decoded = decode_text(data)
    delimiter = csv_dialect(decoded.text) or ","
    rows: list[list[str]] = []
    chars = 0
    cut: str | None = None
    for row in csv.reader(io.StringIO(decoded.text), delimiter=delimiter):
        if not any(c.strip() for c in row):
            continue
        if len(rows) >= limits.max_rows_per_sheet:  # the header row counts, as in a sheet
            cut = f"only the first {limits.max_rows_per_sheet} rows were read"
            break
        chars += sum(len(c) + 3 for c in row[:MAX_COLUMNS])
        if chars > limits.max_chars:
            cut = f"stopped after {len(rows)} rows: reached the character limit"
            break
        rows.append(row)
    return _result(CSV, gfm_table(rows) if rows else "", decoded, cut)


def extract_json(data: bytes, limits: Limits) -> Extraction:
    """Small JSON pretty-printed in a fence; larger JSON as ``path: value`` lines, bounded."""
    decoded = decode_text(data)
    value = json.loads(decoded.text)
    small = min(_FENCED_JSON_MAX, limits.max_chars)
    if len(decoded.text) <= small:
        pretty = json.dumps(value, indent=2, ensure_ascii=False)
        if len(pretty) <= small:
            return _result(JSON, fence(pretty, "json"), decoded, None)
    lines: list[str] = []
    chars = 0
    cut: str | None = None
    for path, leaf in _flatten(value):
        line = f"{path}: {leaf}" if path else leaf
        chars += len(line) + 1
        if chars > limits.max_chars:
            cut = f"stopped after {len(lines)} values: reached the character limit"
            break
        lines.append(line)
    return _result(JSON, escape_lines("\n".join(lines)), decoded, cut)


def _flatten(value: Any) -> Iterator[tuple[str, str]]:
    """``(path, scalar)`` pairs in document order, lazily and without recursion."""
    stack: list[Iterator[tuple[str, Any]]] = [iter([("", value)])]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        path, item = step
        if isinstance(item, (dict, list)) and item:
            stack.append(_children(path, item))
        elif isinstance(item, (dict, list)):
            yield path, "{}" if isinstance(item, dict) else "[]"
        else:
            yield path, _scalar(item)


def _children(path: str, item: dict[str, Any] | list[Any]) -> Iterator[tuple[str, Any]]:
    """The members of an object or array with their paths."""
    if isinstance(item, dict):
        for key, value in item.items():
            yield (f"{path}.{key}" if path else str(key)), value
    else:
        for index, value in enumerate(item):
            yield f"{path}[{index}]", value


def _scalar(value: Any) -> str:
    """A JSON scalar as text: strings on one line, others as JSON spells them."""
    if isinstance(value, str):
        return " ".join(value.split())
    return json.dumps(value)


def _cap(text: str, limits: Limits) -> tuple[str, str | None]:
    """``text`` cut to ``max_chars`` (at a line break when one is near), and why."""
    if len(text) <= limits.max_chars:
        return text, None
    cut = text[: limits.max_chars]
    newline = cut.rfind("\n")
    if newline > limits.max_chars * 0.9:
        cut = cut[:newline]
    return cut, f"text cut at {limits.max_chars:,} characters"


def _result(
    media_type: str, text: str, decoded: Decoded, cut: str | None, title: str | None = None
) -> Extraction:
    """One unlocated section, with the encoding guess and any cut as warnings."""
    warnings = tuple(w for w in (decoded.warning, cut) if w)
    sections = (Section(text),) if text.strip() else ()
    return Extraction(media_type, sections, title, warnings, truncated=cut is not None)
