"""The inline buffer: running Markdown text with HTML whitespace rules and safe mark joins."""

from __future__ import annotations

from radex.confluence.storage.text import code_span, collapse, escape, escape_line_start

BREAK = "\n"
"""The hard-break sentinel inside a buffer (text nodes never contain a newline)."""


class InlineBuf:
    """Accumulates inline Markdown; collapses spaces across nodes and merges adjacent marks.

    Source text is held as a pending run and escaped when something else (a mark, a link, a
    break) is appended: what needs escaping then depends on the whole run of text, not on how
    the source happened to split it into nodes, so the escaping is the same after a round trip.
    """

    __slots__ = ("code", "gap", "mark", "parts", "pending", "space")

    def __init__(self, space: bool = True) -> None:
        self.parts: list[str] = []
        self.pending: list[str] = []
        self.space = space
        self.mark: str | None = None
        self.code = ""
        self.gap = False

    @property
    def empty(self) -> bool:
        """True when nothing has been added."""
        return not self.parts and not self.pending

    def _settle(self) -> None:
        if self.pending:
            self.parts.append(escape("".join(self.pending)))
            self.pending = []

    def text(self, raw: str) -> None:
        """Append source text: whitespace collapsed; escaped when the run of text ends."""
        t = collapse(raw)
        if self.space and t[:1] == " ":
            t = t[1:]
        if not t:
            return
        if self.gap:
            self.gap = False
            if t[0].isalnum():
                t = " " + t
        self.pending.append(t)
        self.space = t[-1] == " "
        self.mark = None

    def literal(self, text: str) -> None:
        """Append already-escaped Markdown that carries no mark."""
        if not text:
            return
        if self.space and text[0] == " ":
            text = text[1:]
            if not text:
                return
        self._settle()
        self.parts.append(text)
        self.space = text[-1] == " "
        self.mark = None
        self.gap = False

    def wrapped(self, marker: str, core: str) -> None:
        """Append ``marker core marker``, merging with an identical mark just before it."""
        self._settle()
        if self.mark == marker and self.parts:
            self.parts[-1] = self.parts[-1][: -len(marker)]
            self.parts.append(core + marker)
        else:
            self.parts.append(marker + core + marker)
        self.space = False
        self.mark = marker
        self.gap = False

    def code_span(self, content: str) -> None:
        """Append an inline code span, merging with a code span just before it."""
        if not content.strip():
            if content:
                self.space_()
            return
        self._settle()
        if self.mark == "`" and self.parts:
            self.parts.pop()
            content = self.code + content
        self.parts.append(code_span(content))
        self.code = content
        self.space = False
        self.mark = "`"
        self.gap = False

    def apart(self, markdown: str) -> None:
        """Append an embed (lozenge, file link) so it does not run into a word beside it."""
        if not markdown:
            return
        last = self.pending[-1] if self.pending else (self.parts[-1] if self.parts else "")
        if last[-1:].isalnum():
            self.space_()
        self.literal(markdown)
        self.gap = True

    def link(self, markdown: str) -> None:
        """Append a link or image; a ``!`` just before a link is escaped so it stays text."""
        if not markdown:
            return
        self._settle()
        if markdown[0] == "[" and self.parts and self.parts[-1].endswith("!"):
            last = self.parts[-1]
            if not last.endswith("\\!"):
                self.parts[-1] = last[:-1] + "\\!"
        self.parts.append(markdown)
        self.space = False
        self.mark = None
        self.gap = False

    def space_(self) -> None:
        """Append one separating space unless there is one already."""
        if not self.space:
            self.pending.append(" ")
            self.space = True
            self.mark = None

    def brk(self) -> None:
        """Append a hard line break."""
        if self.pending:
            self.pending[-1] = self.pending[-1].rstrip(" ")
        self._settle()
        if self.parts and self.parts[-1].endswith(" "):
            self.parts[-1] = self.parts[-1].rstrip(" ")
        self.parts.append(BREAK)
        self.space = True
        self.mark = None
        self.gap = False

    def value(self) -> str:
        """The buffered Markdown."""
        self._settle()
        return "".join(self.parts)

    def clear(self) -> None:
        """Empty the buffer."""
        self.parts = []
        self.pending = []
        self.space = True
        self.mark = None
        self.gap = False


def one_line(text: str) -> str:
    """Inline Markdown on one line: hard breaks become single spaces."""
    if BREAK not in text:
        return text.strip()
    return " ".join(part.strip() for part in text.split(BREAK) if part.strip())


def paragraphs(text: str, cell: bool) -> list[str]:
    """Split buffered inline Markdown into paragraph blocks at double breaks.

    Outside tables, single breaks become ``\\`` hard breaks and each line start is escaped;
    inside a table cell they become ``<br>``.
    """
    text = text.strip(" \n")
    if not text:
        return []
    if BREAK not in text:
        return [text if cell else escape_line_start(text)]
    out: list[str] = []
    lines: list[str] = []
    for line in text.split(BREAK):
        line = line.strip(" ")
        if line:
            lines.append(line if cell else escape_line_start(line))
        elif lines:
            out.append(_join(lines, cell))
            lines = []
    if lines:
        out.append(_join(lines, cell))
    return out


def _join(lines: list[str], cell: bool) -> str:
    return ("<br>" if cell else "\\\n").join(lines)
