"""Markdown text primitives: whitespace, escaping, code spans and fences, link destinations."""

from __future__ import annotations

import re
from urllib.parse import quote

from markdown_it.common.normalize_url import normalizeLink

_WS = re.compile(r"[ \t\n\r\f\v\xa0]+")
_NEEDS_ESCAPE = re.compile(r"[\\`*_\[\]<&~]")
_ESCAPE = re.compile(
    r"[\\`*~\[\]]"  # always (a \\ or ~ means something depending on what follows)
    r"|(?<![^\W_])_|_(?![^\W_])"  # underscores that are not inside a word
    r"|<(?=[A-Za-z/!?])"  # would open a tag or an autolink
    r"|&(?=#?[0-9A-Za-z]+;)"  # would read as an entity
)
_HEADING_LINE = re.compile(r"#{1,6}(?: |$)")
_ORDERED_LINE = re.compile(r"(\d{1,9})([.)])(?= |$)")
_RULE_LINE = re.compile(r"[-=_ ]+$")
_BACKTICKS = re.compile(r"`+")
_DANGEROUS_SCHEME = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.IGNORECASE)


def collapse(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) into one space, as HTML does."""
    return _WS.sub(" ", text)


def escape(text: str) -> str:
    """Backslash-escape what would otherwise read as Markdown inside running text."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _ESCAPE.sub(_backslash, text)


def _backslash(match: re.Match[str]) -> str:
    return "\\" + match.group(0)


def escape_line_start(line: str) -> str:
    """Escape a line start that would begin a heading, quote, list, rule or setext underline."""
    if not line:
        return line
    first = line[0]
    if first == ">" or (first == "#" and _HEADING_LINE.match(line)):
        return "\\" + line
    if first in "-+=":
        if len(line) == 1 or line[1] == " " or _RULE_LINE.match(line):
            return "\\" + line
        return line
    if first.isdigit():
        m = _ORDERED_LINE.match(line)
        if m:
            return m.group(1) + "\\" + line[m.end(1) :]
    return line


def escape_heading_end(text: str) -> str:
    """Escape a trailing run of ``#`` that ATX headings would strip as a closing sequence."""
    stripped = text.rstrip("#")
    if stripped != text and (not stripped or stripped.endswith(" ")):
        return stripped + "\\" + text[len(stripped) :]
    return text


def code_span(content: str) -> str:
    """An inline code span holding ``content`` verbatim, fenced so it cannot close early."""
    content = content.replace("\n", " ")
    if not content:
        return ""
    runs = _BACKTICKS.findall(content)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    if content.startswith("`") or content.endswith("`") or (content[0] == content[-1] == " "):
        content = f" {content} "
    return f"{fence}{content}{fence}"


def code_fence(content: str, language: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    longest = 0
    if "```" in content:
        longest = max(len(r) for r in _BACKTICKS.findall(content))
    fence = "`" * max(3, longest + 1)
    body = content.rstrip()
    return f"{fence}{language}\n{body}\n{fence}" if body else f"{fence}{language}\n{fence}"


def link_destination(url: str) -> str:
    """A normalised link destination (as a CommonMark parser would store it), safely delimited.

    Normalising here (percent-encoding spaces and non-ASCII) makes the destination a fixed
    point: parsing the Markdown back yields the same URL, so round trips are stable.
    """
    url = normalizeLink(url.strip().replace("\n", "").replace("\r", ""))
    if "<" in url or ">" in url:
        url = url.replace("<", "%3C").replace(">", "%3E")
    if "(" in url or ")" in url or " " in url:
        return f"<{url}>"
    return url


def safe_url(url: str) -> str | None:
    """The URL unless it uses a scheme that runs code (javascript:, vbscript:, data:)."""
    if _DANGEROUS_SCHEME.match(url):
        return None
    return url


def link(text: str, url: str) -> str:
    """A Markdown inline link; the text is already rendered Markdown."""
    return f"[{text or escape(url)}]({link_destination(url)})"


def image(alt: str, url: str) -> str:
    """A Markdown image; ``alt`` is plain text."""
    return f"![{escape(collapse(alt).strip())}]({link_destination(url)})"


def url_segment(text: str) -> str:
    """Percent-encode text for use as one URL path segment."""
    return quote(text, safe="")


def url_query_value(text: str) -> str:
    """Percent-encode text for a query string with ``+`` for spaces (Confluence's display URLs)."""
    return quote(text, safe="").replace("%20", "+")


def indent(text: str, prefix: str, first: str | None = None) -> str:
    """Prefix every non-empty line (the first with ``first`` when given)."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        lead = first if (i == 0 and first is not None) else prefix
        out.append(lead + line if line else lead.rstrip())
    return "\n".join(out)


def quote_block(text: str) -> str:
    """Prefix every line with ``> `` (``>`` alone on empty lines)."""
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def heading_anchor(text: str, flavor: str, page_title: str | None = None) -> str:
    """The URL fragment Confluence gives a heading (Cloud: dashes; DC: Title-TextWithoutSpaces)."""
    if flavor == "dc":
        head = "".join(page_title.split()) if page_title else ""
        body = "".join(text.split())
        return f"{head}-{body}" if head else body
    return "-".join(text.split())
