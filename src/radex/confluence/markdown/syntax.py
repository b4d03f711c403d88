"""Reading markdown-it syntax trees: marker regexes, sibling pairing, small node tests."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.tree import SyntaxTreeNode

from radex.confluence.markdown import xml

OPEN = re.compile(r'^<!--\s*(dynamic|macro):\s*([\w.:-]+)((?:\s+[\w.:-]+="[^"]*")*)\s*-->$')
CLOSE = re.compile(r"^<!--\s*/(dynamic|macro)\s*-->$")
PAIR = re.compile(r'([\w.:-]+)="([^"]*)"')
DETAILS_OPEN = re.compile(r"^<details\b[^>]*>", re.IGNORECASE)
DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]*>")
CALLOUT = re.compile(r"^\[!([A-Za-z]+)\]")
CALLOUT_PREFIX = re.compile(r"^\s*\[![A-Za-z]+\]\s*")
FENCE_TITLE = re.compile(r"""\btitle=(?:"([^"]*)"|'([^']*)'|(\S+))""")
MENTION = re.compile(r"@user:([A-Za-z0-9][A-Za-z0-9:_-]*[A-Za-z0-9]|[A-Za-z0-9])")
BR = re.compile(r"^<br\s*/?>$", re.IGNORECASE)
HTML_INLINE = re.compile(r"^<(/?)(sub|sup)>$", re.IGNORECASE)
TOC = frozenset({"[[_TOC_]]", "[TOC]"})
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
CELL_ITEM = re.compile(r"^(?:-( \[[ xX]\])?|(\d{1,9})\.)(?: |$)")


def plain(nodes: Sequence[SyntaxTreeNode]) -> str:
    """The text of inline nodes without markup."""
    parts: list[str] = []
    for node in nodes:
        if node.type in ("text", "text_special", "code_inline"):
            parts.append(node.content)
        elif node.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif node.children:
            parts.append(plain(node.children))
    return "".join(parts)


def split_first_line(
    nodes: Sequence[SyntaxTreeNode],
) -> tuple[list[SyntaxTreeNode], list[SyntaxTreeNode]]:
    """Inline nodes before and after the first line break."""
    for i, node in enumerate(nodes):
        if node.type in ("softbreak", "hardbreak"):
            return list(nodes[:i]), list(nodes[i + 1 :])
    return list(nodes), []


def caption(node: SyntaxTreeNode) -> str | None:
    """The title when a paragraph is nothing but one italic span (a code caption)."""
    if not node.children:
        return None
    kids = node.children[0].children
    if len(kids) != 1 or kids[0].type != "em":
        return None
    inner = kids[0].children
    if any(k.type not in ("text", "text_special") for k in inner):
        return None
    return plain(inner).strip() or None


def task_state(item: SyntaxTreeNode) -> tuple[bool | None, bool]:
    """(checked, the first paragraph is only the checkbox) for a list item."""
    if "checked" in item.meta:
        return bool(item.meta["checked"]), False
    first = item.children[0] if item.children else None
    if first is not None and first.type == "paragraph" and first.children:
        raw = first.children[0].content.strip()
        if raw in ("[ ]", "[x]", "[X]"):
            return raw != "[ ]", True
    return None, False


def status(node: SyntaxTreeNode) -> str | None:
    """``**[TITLE]**`` (unescaped brackets) as a status macro."""
    kids = node.children
    if not kids or any(k.type not in ("text", "text_special") for k in kids):
        return None
    if kids[0].type != "text" or kids[-1].type != "text":
        return None
    if not (kids[0].content.startswith("[") and kids[-1].content.endswith("]")):
        return None
    joined = "".join(k.content for k in kids)
    title = joined[1:-1].strip()
    if not title:
        return None
    return xml.macro("status", [("title", title)])


def split_br(nodes: Sequence[SyntaxTreeNode]) -> list[list[SyntaxTreeNode]]:
    """Inline nodes split into lines at ``<br>`` (table cells have no other breaks)."""
    lines: list[list[SyntaxTreeNode]] = [[]]
    for node in nodes:
        if node.type == "html_inline" and BR.match(node.content.strip()):
            lines.append([])
        else:
            lines[-1].append(node)
    return lines


def cell_item(text: str, more: bool = False) -> tuple[str, int, int] | None:
    """(kind, characters of marker to cut, ordered start) when a cell line starts a list item.

    ``more`` says the line goes on after ``text`` (another node): then a marker must be
    followed by a space within ``text`` to count.
    """
    match = CELL_ITEM.match(text)
    if match is None:
        return None
    if more and match.end() == len(text) and not text.endswith(" "):
        return None
    box, number = match.group(1), match.group(2)
    if number is not None:
        return "ol", match.end(), int(number)
    if box is not None:
        return ("open" if box == " [ ]" else "done"), match.end(), 0
    return "ul", match.end(), 0


def family(kind: tuple[str, int, int] | None) -> str | None:
    """``task``, ``ul``, ``ol`` or None: which kind of list a cell line continues."""
    if kind is None:
        return None
    return "task" if kind[0] in ("open", "done") else kind[0]


def pairs(nodes: Sequence[SyntaxTreeNode]) -> dict[int, int]:
    """Pair opening and closing markers (macro, dynamic, details) among siblings."""
    pairs: dict[int, int] = {}
    stack: list[tuple[str, int]] = []
    for i, node in enumerate(nodes):
        if node.type != "html_block":
            continue
        content = node.content.strip()
        opened = OPEN.match(content)
        if opened:
            stack.append((opened.group(1), i))
            continue
        closed = CLOSE.match(content)
        kind = closed.group(1) if closed else None
        if kind is None and DETAILS_OPEN.match(content):
            if not DETAILS_CLOSE.search(content):
                stack.append(("details", i))
            continue
        if kind is None and DETAILS_CLOSE.fullmatch(content):
            kind = "details"
        if kind is None:
            continue
        for j in range(len(stack) - 1, -1, -1):
            if stack[j][0] == kind:
                pairs[stack[j][1]] = i
                del stack[j:]
                break
    return pairs
