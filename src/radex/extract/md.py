"""Markdown building blocks shared by the format modules: escaping, GFM tables, budgets."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence

from radex.extract.model import Limits

_LINE_START = re.compile(
    r"^([ \t]{0,3})([#>+=]|[-*](?=\s|-|$)|\d+[.)](?=\s|$)|```|~~~)", re.MULTILINE
)
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")

MAX_COLUMNS = 200
"""Columns kept per table row (sheets, CSV, documents); wider rows are cut."""


def escape_lines(text: str) -> str:
    """Plain text made safe as Markdown: line starts that would become syntax get a backslash."""
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def tidy(text: str) -> str:
    """Trailing spaces dropped, runs of blank lines squeezed to one, ends trimmed."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip("\n")


def inline(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return _SPACES.sub(" ", text.replace("\r", " ").replace("\n", " ")).strip()


def cell(text: str) -> str:
    """Text fit for one GFM table cell: one line, pipes escaped."""
    lines = [inline(line) for line in text.replace("\r", "\n").split("\n")]
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def gfm_table(rows: Sequence[Sequence[str]], *, header: bool = True) -> str:
    """A GFM pipe table; the first row is the header (an empty one is made if ``header`` is off)."""
    width = min(max((len(r) for r in rows), default=0), MAX_COLUMNS)
    if width == 0:
        return ""
    cells = [[cell(c) for c in list(r)[:width]] + [""] * (width - len(r)) for r in rows]
    head = cells[0] if header else [""] * width
    body = cells[1:] if header else cells
    lines = [_row(head), _row(["---"] * width), *(_row(r) for r in body)]
    return "\n".join(lines)


def fence(text: str, language: str = "") -> str:
    """A fenced code block with a fence longer than any backtick run inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def join_blocks(blocks: Iterable[str]) -> str:
    """Non-empty blocks separated by one blank line."""
    return "\n\n".join(b for b in (b.strip("\n") for b in blocks) if b)


class Budget:
    """Characters and seconds left for one extraction; format modules stop when it runs out."""

    def __init__(self, limits: Limits) -> None:
        self.chars_left = limits.max_chars
        self.timeout_s = limits.timeout_s
        self._deadline = time.monotonic() + limits.timeout_s

    def spend(self, text: str) -> None:
        """Count ``text`` against the character budget."""
        self.chars_left -= len(text)

    @property
    def out_of_chars(self) -> bool:
        """True once more text was produced than ``max_chars``."""
        return self.chars_left < 0

    @property
    def out_of_time(self) -> bool:
        """True once ``timeout_s`` has passed since the budget was made."""
        return time.monotonic() > self._deadline

    @property
    def exhausted(self) -> bool:
        """Out of characters or of time."""
        return self.out_of_chars or self.out_of_time

    def reason(self) -> str:
        """Why reading stopped, for a warning."""
        if self.out_of_time:
            return f"took longer than {self.timeout_s:g} s"
        return "reached the character limit"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
