"""Heading-aware Markdown chunking with breadcrumbs, sized for an embedder's token budget.

The Markdown is read as blocks (ATX headings, fenced code, tables, quotes and ``> [!INFO]``
callouts, ``<details>`` blocks, text runs); headings cut it into sections and each section is
packed greedily into chunks of at most ``max_tokens`` tokens *counting the breadcrumb*. A
block that does not fit is split: tables by rows with the header and separator repeated, code
by lines with the fence re-opened, callouts by lines with the ``[!KIND]`` line repeated,
everything else by lines and, when one line is too long, by words. Only a single word that is
itself over the budget yields an oversized chunk. A heading with no body of its own is carried
into its first subsection so no chunk is just a heading when a child follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from radex.errors import InputError
from radex.types import Chunk

SEPARATOR: Final = " › "
"""What joins breadcrumb parts."""

BlockKind = Literal["heading", "fence", "table", "quote", "details", "text"]

_ATX: Final = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES: Final = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE: Final = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_TABLE_SEP: Final = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_QUOTE: Final = re.compile(r"^ {0,3}>")
_CALLOUT: Final = re.compile(r"^ {0,3}>\s*\[![A-Za-z]+\]")
_ESCAPED: Final = re.compile(r"\\([!-/:-@\[-`{-~])")
_LINK: Final = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKS: Final = re.compile(r"(\*\*|__|`+|~~)")


@dataclass(frozen=True)
class _Block:
    """A run of source lines of one kind; ``gap`` is the blank lines before it."""

    kind: BlockKind
    lines: tuple[str, ...]
    gap: int
    level: int = 0
    title: str = ""

    @property
    def text(self) -> str:
        """The block's Markdown."""
        return "\n".join(self.lines)


@dataclass(frozen=True)
class _Unit:
    """A piece of text to pack, with the blank lines that precede it in the source."""

    text: str
    gap: int


@dataclass
class _Section:
    """A heading (or the text before the first one) and the blocks under it."""

    path: tuple[str, ...]
    level: int
    blocks: list[_Block]


def heading_text(raw: str) -> str:
    """The plain text of an ATX heading's content: closing ``#``s, escapes, marks removed."""
    text = _CLOSING_HASHES.sub("", raw.strip()).strip()
    text = _LINK.sub(r"\1", text)
    text = _MARKS.sub("", text)
    return _ESCAPED.sub(r"\1", text).strip()


def _fence_end(lines: Sequence[str], start: int) -> int:
    """Index after the fence opened at ``start`` (the end of input when it never closes)."""
    opened = _FENCE.match(lines[start])
    assert opened is not None
    fence = opened.group(1)
    closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for i in range(start + 1, len(lines)):
        if closing.match(lines[i]):
            return i + 1
    return len(lines)


def _details_end(lines: Sequence[str], start: int) -> int | None:
    """Index after the ``</details>`` matching the one opened at ``start``; None if unclosed."""
    depth = 0
    i = start
    while i < len(lines):
        if i > start and _FENCE.match(lines[i]):
            i = _fence_end(lines, i)
            continue
        low = lines[i].lower()
        depth += low.count("<details") - low.count("</details>")
        i += 1
        if depth <= 0:
            return i
    return None


def _starts_block(lines: Sequence[str], i: int) -> bool:
    """True when line ``i`` opens a block other than plain text."""
    line = lines[i]
    if _FENCE.match(line) or _QUOTE.match(line) or line.lstrip().lower().startswith("<details"):
        return True
    heading = _ATX.match(line)
    if heading and heading.group(2) and heading_text(heading.group(2)):
        return True
    return _is_table_start(lines, i)


def _is_table_start(lines: Sequence[str], i: int) -> bool:
    """True when line ``i`` is a table header followed by its separator row."""
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and "|" in lines[i + 1]
        and "-" in lines[i + 1]
        and _TABLE_SEP.match(lines[i + 1]) is not None
    )


def parse_blocks(markdown: str) -> list[_Block]:
    """The Markdown as a list of blocks, blank lines dropped (and counted in ``gap``)."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[_Block] = []
    i, gap = 0, 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            gap, i = gap + 1, i + 1
            continue
        kind: BlockKind = "text"
        end = i + 1
        level, title = 0, ""
        heading = _ATX.match(line)
        if _FENCE.match(line):
            kind, end = "fence", _fence_end(lines, i)
        elif heading and heading.group(2) and heading_text(heading.group(2)):
            kind, level, title = "heading", len(heading.group(1)), heading_text(heading.group(2))
        elif line.lstrip().lower().startswith("<details") and _details_end(lines, i):
            kind, end = "details", _details_end(lines, i) or end
        elif _QUOTE.match(line):
            kind = "quote"
            while end < len(lines) and _QUOTE.match(lines[end]):
                end += 1
        elif _is_table_start(lines, i):
            kind, end = "table", i + 2
            while end < len(lines) and lines[end].strip() and "|" in lines[end]:
                if _FENCE.match(lines[end]) or _ATX.match(lines[end]):
                    break
                end += 1
        else:
            while end < len(lines) and lines[end].strip() and not _starts_block(lines, end):
                end += 1
        blocks.append(_Block(kind, tuple(lines[i:end]), gap, level, title))
        i, gap = end, 0
    return blocks


def _sections(blocks: Sequence[_Block]) -> list[_Section]:
    """The blocks grouped under their headings, each with its heading path."""
    sections = [_Section((), 0, [])]
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if block.kind == "heading":
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.title))
            sections.append(_Section(tuple(t for _, t in stack), block.level, [block]))
        else:
            sections[-1].blocks.append(block)
    return [s for s in sections if s.blocks]


class _Packer:
    """Greedy packing of text into chunks that fit the budget with a breadcrumb prefix."""

    def __init__(self, prefix: str, max_tokens: int, count: Callable[[str], int]) -> None:
        self.prefix = prefix
        self.max_tokens = max_tokens
        self.count = count

    def fits(self, text: str) -> bool:
        """True when breadcrumb + text stays within the budget."""
        return self.count(embed_text(self.prefix, text)) <= self.max_tokens

    def pack(self, units: Sequence[_Unit], blocks: Sequence[_Block]) -> list[str]:
        """Chunk texts for ``units`` (``blocks[i]`` says how to split unit ``i`` if needed)."""
        out: list[str] = []
        current: list[_Unit] = []
        for unit, block in zip(units, blocks, strict=True):
            if current and self.fits(_join([*current, unit])):
                current.append(unit)
                continue
            if current:
                out.append(_join(current))
                current = []
            if self.fits(unit.text):
                current = [unit]
                continue
            pieces = self.split(block)
            out.extend(pieces[:-1])
            current = [_Unit(pieces[-1], unit.gap)]
        if current:
            out.append(_join(current))
        return out

    def split(self, block: _Block) -> list[str]:
        """A block too big for one chunk, as pieces that each fit (bar single long words)."""
        lines = list(block.lines)
        if block.kind == "fence" and len(lines) >= 2:
            opened = _FENCE.match(lines[0])
            fence = opened.group(1) if opened else "```"
            close = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            closed = close.match(lines[-1]) is not None
            body = lines[1:-1] if closed else lines[1:]
            return self.lines(body, [lines[0]], [lines[-1] if closed else fence])
        if block.kind == "table" and self.fits("\n".join([*lines[:2], "|"])):
            return self.lines(lines[2:], lines[:2], [])
        if block.kind == "quote" and _CALLOUT.match(lines[0]) and len(lines) > 1:
            return self.lines(lines[1:], [lines[0]], [])
        return self.lines(lines, [], [])

    def lines(self, lines: Sequence[str], head: Sequence[str], tail: Sequence[str]) -> list[str]:
        """Lines packed greedily, each piece wrapped in ``head`` and ``tail`` lines."""

        def wrap(body: Sequence[str]) -> str:
            return "\n".join([*head, *body, *tail])

        pieces: list[str] = []
        current: list[str] = []
        for line in lines:
            if self.fits(wrap([*current, line])):
                current.append(line)
                continue
            if current:
                pieces.append(wrap(current))
                current = []
            if self.fits(wrap([line])):
                current = [line]
                continue
            indent = line[: len(line) - len(line.lstrip())]
            words: list[str] = []
            for word in line.split():
                candidate = indent + " ".join([*words, word])
                if words and not self.fits(wrap([candidate])):
                    pieces.append(wrap([indent + " ".join(words)]))
                    words = []
                words.append(word)
            if words:
                current = [indent + " ".join(words)]
        if current or not pieces:
            pieces.append(wrap(current))
        return pieces


def _join(units: Sequence[_Unit]) -> str:
    """Units joined with the blank lines that separated them in the source."""
    parts = [units[0].text]
    for unit in units[1:]:
        parts.append("\n" * (max(unit.gap, 0) + 1) + unit.text)
    return "".join(parts)


def embed_text(breadcrumb: str, text: str) -> str:
    """What a chunk's embedding sees, exactly as :attr:`Chunk.embed_text` builds it."""
    return f"{breadcrumb}\n\n{text}" if breadcrumb else text


def _fit_breadcrumb(parts: list[str], max_tokens: int, count: Callable[[str], int]) -> str:
    """The breadcrumb, shortened from the front (``…``) until it uses at most half the budget."""
    limit = max(max_tokens // 2, 1)
    crumb = SEPARATOR.join(parts)
    while count(crumb) > limit and len(parts) > 1:
        parts = parts[1:]
        crumb = SEPARATOR.join(["…", *parts])
    words = crumb.split()
    while count(crumb) > limit and len(words) > 1:
        words = words[:-1]
        crumb = " ".join(words) + " …"
    return crumb


def chunk_markdown(
    document_id: str,
    markdown: str,
    *,
    breadcrumb: Sequence[str],
    anchors: Mapping[str, str] | None,
    max_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[Chunk]:
    """The document's Markdown as chunks of at most ``max_tokens`` (breadcrumb included)."""
    if max_tokens < 1:
        raise InputError(f"max_tokens must be at least 1, not {max_tokens}")
    anchors = anchors or {}
    base = [p.strip() for p in breadcrumb if p and p.strip()]
    sections = _sections(parse_blocks(markdown))
    chunks: list[Chunk] = []
    carried: list[_Block] = []
    for n, section in enumerate(sections):
        following = sections[n + 1] if n + 1 < len(sections) else None
        blocks = [*carried, *section.blocks]
        carried = []
        heading_only = all(b.kind == "heading" for b in blocks)
        if heading_only and following and _is_child(section.path, following.path):
            carried = blocks
            continue
        crumb = _fit_breadcrumb([*base, *section.path], max_tokens, count_tokens)
        packer = _Packer(crumb, max_tokens, count_tokens)
        units = [_Unit(b.text, b.gap) for b in blocks]
        heading = section.path[-1] if section.path else None
        anchor = _anchor(anchors, heading, blocks)
        for text in packer.pack(units, blocks):
            if not text.strip():
                continue
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    id=f"{document_id}:{ordinal}",
                    document_id=document_id,
                    ordinal=ordinal,
                    text=text,
                    breadcrumb=crumb,
                    token_count=count_tokens(embed_text(crumb, text)),
                    heading=heading,
                    anchor=anchor,
                )
            )
    return chunks


def _is_child(parent: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """True when ``path`` lies under the non-empty heading path ``parent``."""
    return bool(parent) and len(path) > len(parent) and path[: len(parent)] == parent


def _anchor(
    anchors: Mapping[str, str], heading: str | None, blocks: Sequence[_Block]
) -> str | None:
    """The converter's anchor for the section's heading (by plain text, else by raw text)."""
    if heading is None:
        return None
    found = anchors.get(heading)
    if found is None:
        for block in reversed(blocks):
            if block.kind == "heading" and block.title == heading:
                match = _ATX.match(block.lines[0])
                raw = (match.group(2) or "") if match else ""
                found = anchors.get(_CLOSING_HASHES.sub("", raw).strip())
                break
    return found
