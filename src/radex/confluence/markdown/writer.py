"""Walk a markdown-it syntax tree and write storage format.

Blocks: paragraphs, headings, lists (``- [ ]`` items become ``ac:task-list``), code fences
(``code`` macro; an italic-only paragraph right before a fence is its title), callouts
``> [!TYPE] Title`` (info/note/warning/tip/panel), ``<details>`` (expand), tables, and the
converter's ``<!-- dynamic: … -->`` / ``<!-- macro: … -->`` markers (restored as macros).
Inline: emphasis, strike, code, links (pages, attachments, anchors, URLs), images,
``**[STATUS]**`` lozenges, ``@user:<id>`` mentions, ``<br>``, ``<sub>``, ``<sup>``.
Any other raw HTML is written as visible text, never passed through.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from radex.confluence.markdown import xml
from radex.confluence.markdown.inline import InlineWriter
from radex.confluence.markdown.syntax import (
    CALLOUT,
    CALLOUT_PREFIX,
    CLOSE,
    COMMENT,
    DETAILS_CLOSE,
    DETAILS_OPEN,
    FENCE_TITLE,
    OPEN,
    PAIR,
    SUMMARY,
    TAG,
    TOC,
    caption,
    cell_item,
    family,
    pairs,
    plain,
    split_br,
    split_first_line,
    task_state,
)
from radex.confluence.storage import ConvertContext, Flavor
from radex.confluence.storage.vocab import CALLOUT_TO_MACRO, MARKED_MACROS, confluence_language

MAX_NESTING = 50
"""Block/inline nesting markdown-it will follow; deeper content is not parsed."""


def make_parser() -> MarkdownIt:
    """CommonMark + GFM tables, strikethrough and task lists; raw HTML tokenised (not trusted)."""
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.disable("text_join")  # keep backslash escapes visible as text_special tokens
    md.options["tasklists"] = True
    return md


class Writer(InlineWriter):
    """Writes storage format for one Markdown document."""

    def __init__(self, ctx: ConvertContext, flavor: Flavor, parser: MarkdownIt) -> None:
        super().__init__(ctx, flavor)
        self.parser = parser
        self.task_id = 0
        self.nested = 0

    def document(self, source: str) -> str:
        """Storage format for a whole Markdown source."""
        root = SyntaxTreeNode(self.parser.parse(source))
        return self.blocks(root.children)

    # ----------------------------------------------------------- blocks

    def blocks(self, nodes: Sequence[SyntaxTreeNode]) -> str:
        """Storage for a run of sibling blocks (markers and captions pair up siblings)."""
        paired = pairs(nodes)
        out: list[str] = []
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if node.type == "html_block":
                i = self._html_block(nodes, i, paired, out)
                continue
            if node.type == "paragraph" and i + 1 < len(nodes):
                following = nodes[i + 1]
                title = caption(node) if following.type in ("fence", "code_block") else None
                if title is not None:
                    out.append(self._code(following, title))
                    i += 2
                    continue
            out.append(self.block(node))
            i += 1
        return "".join(out)

    def block(self, node: SyntaxTreeNode) -> str:
        """Storage for one block node."""
        kind = node.type
        if kind == "paragraph":
            return self._paragraph(node)
        if kind == "heading":
            return f"<{node.tag}>{self.inline_of(node)}</{node.tag}>"
        if kind == "blockquote":
            return self._quote(node)
        if kind in ("bullet_list", "ordered_list"):
            return self._list(node)
        if kind in ("fence", "code_block"):
            return self._code(node, None)
        if kind == "hr":
            return "<hr />"
        if kind == "table":
            return self._table(node)
        if kind == "html_block":
            return self.blocks([node])
        return f"<p>{xml.text(node.content)}</p>" if node.content.strip() else ""

    def _paragraph(self, node: SyntaxTreeNode) -> str:
        inline = node.children[0] if node.children else None
        if inline is not None and inline.content.strip() in TOC:
            return xml.macro("toc")
        content = self.inline_of(node)
        if node.hidden:
            return content
        return f"<p>{content}</p>" if content else ""

    def _quote(self, node: SyntaxTreeNode) -> str:
        children = node.children
        first = children[0] if children else None
        if first is not None and first.type == "paragraph" and first.children:
            inline = first.children[0]
            match = CALLOUT.match(inline.content)
            if match and match.group(1).upper() in CALLOUT_TO_MACRO:
                name = CALLOUT_TO_MACRO[match.group(1).upper()]
                head, rest = split_first_line(inline.children)
                title = CALLOUT_PREFIX.sub("", plain(head)).strip()
                body = f"<p>{self.inline_nodes(rest)}</p>" if rest else ""
                body += self.blocks(children[1:])
                params = [("title", title)] if title else []
                return xml.macro(name, params, rich=body)
        return f"<blockquote>{self.blocks(children)}</blockquote>"

    def _list(self, node: SyntaxTreeNode) -> str:
        items = node.children
        states = [task_state(item) for item in items]
        if items and all(checked is not None for checked, _ in states):
            return self._tasks(items, states)
        tag = "ol" if node.type == "ordered_list" else "ul"
        start = ""
        if tag == "ol":
            value = str(node.attrs.get("start", "1"))
            if value.isdigit() and int(value) != 1:
                start = f' start="{int(value)}"'
        out = [f"<{tag}{start}>"]
        for item, (checked, bare) in zip(items, states, strict=True):
            children = item.children[1:] if bare else item.children
            prefix = "" if checked is None else ("[x] " if checked else "[ ] ")
            out.append(f"<li>{prefix}{self.blocks(children)}</li>")
        out.append(f"</{tag}>")
        return "".join(out)

    def _tasks(
        self, items: Sequence[SyntaxTreeNode], states: list[tuple[bool | None, bool]]
    ) -> str:
        out = ["<ac:task-list>"]
        for item, (checked, bare) in zip(items, states, strict=True):
            self.task_id += 1
            children = item.children[1:] if bare else item.children
            status = "complete" if checked else "incomplete"
            out.append(
                f"<ac:task><ac:task-id>{self.task_id}</ac:task-id>"
                f"<ac:task-status>{status}</ac:task-status>"
                f"<ac:task-body>{self.blocks(children)}</ac:task-body></ac:task>"
            )
        out.append("</ac:task-list>")
        return "".join(out)

    def _code(self, node: SyntaxTreeNode, title: str | None) -> str:
        info = (node.info or "").strip() if node.type == "fence" else ""
        language = info.split()[0] if info else ""
        if title is None:
            match = FENCE_TITLE.search(info)
            if match:
                title = next(g for g in match.groups() if g is not None)
        content = node.content[:-1] if node.content.endswith("\n") else node.content
        params = [("language", confluence_language(language) or "none")]
        if title:
            params.append(("title", title))
        return xml.macro("code", params, plain=content)

    def _table(self, node: SyntaxTreeNode) -> str:
        header: list[str] = []
        rows: list[list[str]] = []
        for section in node.children:
            for tr in section.children:
                cells = [self._cell(cell) for cell in tr.children]
                if section.type == "thead":
                    header = cells
                else:
                    rows.append(cells)
        out = ["<table><tbody>"]
        if any(cell.strip() for cell in header):
            out.append("<tr>" + "".join(f"<th>{c}</th>" for c in header) + "</tr>")
        out.extend("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        out.append("</tbody></table>")
        return "".join(out)

    def _cell(self, cell: SyntaxTreeNode) -> str:
        """A table cell; ``<br>``-joined ``- ``/``1. ``/``- [ ]`` lines become lists again."""
        nodes = cell.children[0].children if cell.children else []
        lines: list[tuple[str, Sequence[SyntaxTreeNode]]] = [
            (line[0].content, line[1:]) if line and line[0].type == "text" else ("", line)
            for line in split_br(nodes)
        ]
        kinds = [cell_item(first, bool(rest)) for first, rest in lines]
        if all(kind is None for kind in kinds):
            return self.inline_nodes(nodes)
        out: list[str] = []
        i = 0
        while i < len(lines):
            j = i + 1
            while j < len(lines) and _continues(kinds[j - 1], kinds[j]):
                j += 1
            if kinds[i] is None:
                text = "<br />".join(
                    self._text(first) + self.inline_nodes(rest) for first, rest in lines[i:j]
                )
                out.append(f"<p>{text}</p>")
            else:
                out.append(self._cell_list(lines[i:j], kinds[i:j], 0))
            i = j
        return "".join(out)

    def _cell_list(
        self,
        lines: list[tuple[str, Sequence[SyntaxTreeNode]]],
        kinds: list[tuple[str, int, int] | None],
        depth: int,
    ) -> str:
        items = []
        for (first, rest), kind in zip(lines, kinds, strict=True):
            assert kind is not None
            remainder = first[kind[1] :]
            nested = cell_item(remainder, bool(rest)) if depth < 8 else None
            if nested is not None:
                body = self._cell_list([(remainder, rest)], [nested], depth + 1)
            else:
                body = self._text(remainder) + self.inline_nodes(rest)
            items.append((kind[0], body))
        kind_family = family(kinds[0])
        if kind_family == "task":
            out = ["<ac:task-list>"]
            for state, body in items:
                self.task_id += 1
                status = "complete" if state == "done" else "incomplete"
                out.append(
                    f"<ac:task><ac:task-id>{self.task_id}</ac:task-id>"
                    f"<ac:task-status>{status}</ac:task-status>"
                    f"<ac:task-body>{body}</ac:task-body></ac:task>"
                )
            return "".join(out) + "</ac:task-list>"
        tag = "ol" if kind_family == "ol" else "ul"
        first_kind = kinds[0]
        start = first_kind[2] if first_kind is not None else 1
        attrs = f' start="{start}"' if tag == "ol" and start != 1 else ""
        return f"<{tag}{attrs}>" + "".join(f"<li>{b}</li>" for _, b in items) + f"</{tag}>"

    # ------------------------------------------------------- html blocks

    def _html_block(
        self, nodes: Sequence[SyntaxTreeNode], i: int, paired: dict[int, int], out: list[str]
    ) -> int:
        content = nodes[i].content.strip()
        match = OPEN.match(content)
        end = paired.get(i)
        if match:
            kind, name, rest = match.groups()
            params = [(k, html.unescape(v)) for k, v in PAIR.findall(rest)]
            if kind == "dynamic":
                out.append(self.dynamic_macro(name, params))
            else:
                inner = nodes[i + 1 : end] if end is not None else []
                out.append(self._macro(name, params, inner if end is not None else None))
            return end + 1 if end is not None else i + 1
        if CLOSE.match(content):
            return i + 1
        if content.startswith("<!--"):
            self._comments(content, out)
            return i + 1
        if DETAILS_OPEN.match(content):
            return self._details(nodes, i, end, content, out)
        if DETAILS_CLOSE.fullmatch(content):
            return i + 1
        out.append(f"<p>{xml.text(content)}</p>")
        return i + 1

    def _details(
        self,
        nodes: Sequence[SyntaxTreeNode],
        i: int,
        end: int | None,
        content: str,
        out: list[str],
    ) -> int:
        summary = SUMMARY.search(content)
        title = html.unescape(TAG.sub("", summary.group(1))).strip() if summary else ""
        after = content[summary.end() :] if summary else DETAILS_OPEN.sub("", content, count=1)
        closed_inside = DETAILS_CLOSE.search(after)
        if closed_inside:
            after = after[: closed_inside.start()]
        body = self._nested(after) if after.strip() else ""
        if closed_inside:
            nxt = i + 1
        else:
            stop = end if end is not None else len(nodes)
            body += self.blocks(nodes[i + 1 : stop])
            nxt = stop + 1
        params = [("title", title)] if title else []
        out.append(xml.macro("expand", params, rich=body))
        return nxt

    def _comments(self, content: str, out: list[str]) -> None:
        """Several markers (or a comment followed by text) in one HTML block."""
        pos = 0
        for comment in COMMENT.finditer(content):
            between = content[pos : comment.start()]
            if between.strip():
                out.append(self._nested(between))
            marker = OPEN.match(comment.group(0))
            if marker:
                kind, name, rest = marker.groups()
                params = [(k, html.unescape(v)) for k, v in PAIR.findall(rest)]
                out.append(
                    self.dynamic_macro(name, params)
                    if kind == "dynamic"
                    else xml.macro(name, params)
                )
            pos = comment.end()
        if content[pos:].strip():
            out.append(self._nested(content[pos:]))

    def _nested(self, source: str) -> str:
        if self.nested >= 8:
            return f"<p>{xml.text(source.strip())}</p>"
        self.nested += 1
        try:
            return self.document(source)
        finally:
            self.nested -= 1

    def _macro(
        self, name: str, params: list[tuple[str, str]], inner: Sequence[SyntaxTreeNode] | None
    ) -> str:
        if inner is None:
            return xml.macro(name, params)
        single_fence = len(inner) == 1 and inner[0].type in ("fence", "code_block")
        if single_fence and not inner[0].info and name not in MARKED_MACROS:
            content = inner[0].content
            return xml.macro(
                name, params, plain=content[:-1] if content.endswith("\n") else content
            )
        return xml.macro(name, params, rich=self.blocks(inner))


def _continues(prev: tuple[str, int, int] | None, kind: tuple[str, int, int] | None) -> bool:
    """Whether a cell line continues the run before it (ordered items must count up by one)."""
    if family(prev) != family(kind):
        return False
    if prev is not None and kind is not None and prev[0] == "ol":
        return kind[2] == prev[2] + 1
    return True
