"""The values extraction produces: sections of Markdown with locators, and the limits it obeys."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Section:
    """A run of Markdown text, optionally located in its file ("page 3", "slide 2", "sheet X")."""

    text: str
    locator: str | None = None
    heading: str | None = None

    def to_markdown(self) -> str:
        """The section as Markdown, under a ``## <Locator>[: heading]`` line when located."""
        body = self.text.strip("\n")
        title = _heading_line(self.locator, self.heading)
        if title is None:
            return body
        return f"{title}\n\n{body}" if body else title


@dataclass(frozen=True)
class Extraction:
    """The text of one file: its sniffed media type, sections in order, and what went wrong."""

    media_type: str
    sections: tuple[Section, ...]
    title: str | None = None
    warnings: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def chars(self) -> int:
        """Characters of text over all sections."""
        return sum(len(s.text) for s in self.sections)

    def to_markdown(self) -> str:
        """All sections as one Markdown text; located sections get a ``##`` heading each."""
        parts = [s.to_markdown() for s in self.sections]
        text = "\n\n".join(p for p in parts if p)
        return f"{text}\n" if text else ""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one extraction may read, hold and spend."""

    max_bytes: int = 50 * MIB
    max_pages: int = 2000
    max_chars: int = 5_000_000
    max_rows_per_sheet: int = 5000
    max_sheets: int = 50
    max_slides: int = 1000
    timeout_s: float = 60.0
    max_ratio: float = 100.0
    max_unzipped_bytes: int = 200 * MIB


DEFAULT_LIMITS = Limits()


def _heading_line(locator: str | None, heading: str | None) -> str | None:
    """``## Page 3``, ``## Slide 2: Roadmap``, ``## Sheet Budget``; None when unlocated."""
    label = " ".join((locator or "").split())
    name = " ".join((heading or "").split())
    if label:
        label = label[0].upper() + label[1:]
        return f"## {label}: {name}" if name else f"## {label}"
    return f"## {name}" if name else None
