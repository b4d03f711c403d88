"""Inline Markdown nodes to storage: text, emphasis, code, links, images, mentions, status."""

from __future__ import annotations

import html
from collections.abc import Sequence

from markdown_it.tree import SyntaxTreeNode

from radex.confluence.markdown import xml
from radex.confluence.markdown.syntax import BR, HTML_INLINE, MENTION, OPEN, PAIR, plain, status
from radex.confluence.markdown.targets import Target, classify, page_xml
from radex.confluence.storage import ConvertContext, Flavor


class InlineWriter:
    """Writes storage for inline nodes; the block writer builds on it."""

    def __init__(self, ctx: ConvertContext, flavor: Flavor) -> None:
        self.ctx = ctx
        self.flavor = flavor

    def inline_of(self, node: SyntaxTreeNode) -> str:
        """Storage for the inline content of a block node (heading, paragraph, cell)."""
        return self.inline_nodes(node.children[0].children) if node.children else ""

    def inline_nodes(self, nodes: Sequence[SyntaxTreeNode]) -> str:
        """Storage for a run of inline nodes; ``<sub>``/``<sup>`` are balanced within it."""
        out: list[str] = []
        open_tags: list[str] = []
        for node in nodes:
            self._inline(node, out, open_tags)
        out.extend(f"</{tag}>" for tag in reversed(open_tags))
        return "".join(out)

    def _inline(self, node: SyntaxTreeNode, out: list[str], open_tags: list[str]) -> None:
        kind = node.type
        if kind == "text":
            out.append(self._text(node.content))
        elif kind == "text_special":
            out.append(xml.text(node.content))
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("<br />")
        elif kind == "em":
            out.append(f"<em>{self.inline_nodes(node.children)}</em>")
        elif kind == "strong":
            out.append(status(node) or f"<strong>{self.inline_nodes(node.children)}</strong>")
        elif kind == "s":
            out.append(f"<s>{self.inline_nodes(node.children)}</s>")
        elif kind == "code_inline":
            out.append(f"<code>{xml.text(node.content)}</code>")
        elif kind == "link":
            out.append(self._link(str(node.attrs.get("href", "")), node.children))
        elif kind == "image":
            out.append(self._image(str(node.attrs.get("src", "")), plain(node.children)))
        elif kind == "html_inline":
            self._html_inline(node.content, out, open_tags)
        elif node.children:
            out.append(self.inline_nodes(node.children))
        else:
            out.append(xml.text(node.content))

    def _text(self, content: str) -> str:
        if "@user:" not in content:
            return xml.text(content)
        attr = "ri:account-id" if self.flavor == "cloud" else "ri:userkey"
        parts: list[str] = []
        pos = 0
        for match in MENTION.finditer(content):
            parts.append(xml.text(content[pos : match.start()]))
            parts.append(f'<ac:link><ri:user {attr}="{xml.attr(match.group(1))}" /></ac:link>')
            pos = match.end()
        parts.append(xml.text(content[pos:]))
        return "".join(parts)

    def _html_inline(self, content: str, out: list[str], open_tags: list[str]) -> None:
        raw = content.strip()
        if BR.match(raw):
            out.append("<br />")
            return
        tag = HTML_INLINE.match(raw)
        if tag:
            closing, name = tag.group(1), tag.group(2).lower()
            if not closing:
                open_tags.append(name)
                out.append(f"<{name}>")
            elif open_tags and open_tags[-1] == name:
                open_tags.pop()
                out.append(f"</{name}>")
            return
        marker = OPEN.match(raw)
        if marker:
            kind, name, rest = marker.groups()
            params = [(k, html.unescape(v)) for k, v in PAIR.findall(rest)]
            out.append(
                self.dynamic_macro(name, params) if kind == "dynamic" else xml.macro(name, params)
            )
            return
        if raw.startswith("<!--"):
            return
        out.append(xml.text(content))

    def _link(self, href: str, children: Sequence[SyntaxTreeNode]) -> str:
        target = classify(href, self.ctx, self.flavor)
        text = plain(children)
        simple = all(c.type in ("text", "text_special") for c in children)
        if target.kind == "url":
            return f'<a href="{xml.attr(target.href)}">{self.inline_nodes(children)}</a>'
        if target.kind == "jira":
            if simple and text == target.default_text:
                return xml.macro("jira", [("key", target.default_text)])
            return f'<a href="{xml.attr(href)}">{self.inline_nodes(children)}</a>'
        return self._ac_link(target, text, simple, children)

    def _ac_link(
        self, target: Target, text: str, simple: bool, children: Sequence[SyntaxTreeNode]
    ) -> str:
        body = ""
        if not (simple and text == target.default_text):
            if simple:
                body = f"<ac:plain-text-link-body>{xml.cdata(text)}</ac:plain-text-link-body>"
            else:
                body = f"<ac:link-body>{self.inline_nodes(children)}</ac:link-body>"
        anchor = f' ac:anchor="{xml.attr(target.anchor)}"' if target.anchor else ""
        return f"<ac:link{anchor}>{target.xml}{body}</ac:link>"

    def _image(self, src: str, alt: str) -> str:
        target = classify(src, self.ctx, self.flavor)
        if target.kind == "attachment" and not target.anchor:
            inner, default = target.xml, target.default_text
        else:
            inner = f'<ri:url ri:value="{xml.attr(src)}" />'
            default = src.rstrip("/").rsplit("/", 1)[-1]
        alt_attr = f' ac:alt="{xml.attr(alt)}"' if alt and alt != default else ""
        return f"<ac:image{alt_attr}>{inner}</ac:image>"

    def dynamic_macro(self, name: str, params: list[tuple[str, str]]) -> str:
        """A macro restored from a ``<!-- dynamic: … -->`` marker (includes get a page link)."""
        if name in ("include", "excerpt-include"):
            found = dict(params)
            if "id" in found:
                target = f'<ri:content-entity ri:content-id="{xml.attr(found["id"])}" />'
            else:
                target = page_xml(found.get("title", ""), found.get("space"), self.ctx)
                if "space" in found and 'ri:space-key="' not in target:
                    target = target.replace(
                        "<ri:page", f'<ri:page ri:space-key="{xml.attr(found["space"])}"', 1
                    )
            value = f"<ac:link>{target}</ac:link>"
            return (
                f'<ac:structured-macro ac:name="{xml.attr(name)}" ac:schema-version="1">'
                f"{xml.param('', value)}</ac:structured-macro>"
            )
        return xml.macro(name, params)
