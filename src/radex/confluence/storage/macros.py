"""The macro registry: one small handler per macro, a generic one for the rest.

A handler takes the renderer and a parsed :class:`Macro` and returns either a ``str`` (inline
Markdown that joins the running paragraph) or a ``list[str]`` (blocks). Parameters are read by
handlers that understand them and are never written into the text by the generic handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from radex.confluence.storage import dynamic, links
from radex.confluence.storage.blocks import code_block
from radex.confluence.storage.common import BLOCK_TAGS, MACRO_TAGS, plain_text, raw_text
from radex.confluence.storage.inline import paragraphs
from radex.confluence.storage.model import LinkRef, PageRef, Status
from radex.confluence.storage.parse import AC, RI
from radex.confluence.storage.text import collapse, escape, link, quote_block
from radex.confluence.storage.vocab import CALLOUT_MACROS, DYNAMIC_MACROS, markdown_language

if TYPE_CHECKING:
    from radex.confluence.storage.render import Renderer

    Element = etree._Element


@dataclass(frozen=True, slots=True)
class Macro:
    """One macro instance: name, parameters (keys lower-cased), bodies."""

    name: str
    el: Element
    params: Mapping[str, str]
    param_els: Mapping[str, Element]
    bodies: tuple[Element, ...]
    plain: str | None
    names: Mapping[str, str]

    def original_params(self) -> dict[str, str]:
        """Parameters under their names as written (Confluence names are case-sensitive)."""
        return {self.names.get(k, k): v for k, v in self.params.items()}

    def param(self, *names: str) -> str:
        """The first non-empty parameter among ``names`` ("" when none)."""
        for name in names:
            value = self.params.get(name)
            if value:
                return value
        return ""

    def ri(self, name: str, tag: str) -> Element | None:
        """The first ``ri:<tag>`` element inside parameter ``name``."""
        el = self.param_els.get(name)
        if el is None:
            return None
        for node in el.iter(RI + tag):
            return node
        return None


Rendered = list[str] | str
Handler = Callable[["Renderer", Macro], Rendered]


def parse_macro(el: Element) -> Macro:
    """Read a ``ac:structured-macro`` (or legacy ``ac:macro``) element."""
    params: dict[str, str] = {}
    names: dict[str, str] = {}
    param_els: dict[str, Element] = {}
    bodies: list[Element] = []
    plain: str | None = None
    for child in el:
        tag = child.tag
        if tag == AC + "parameter" or tag == AC + "default-parameter":
            key = "" if tag == AC + "default-parameter" else (child.get(AC + "name") or "")
            original = key.strip()
            key = original.lower()
            if key not in params:
                names[key] = original
                params[key] = collapse("".join(str(t) for t in child.itertext())).strip()
                param_els[key] = child
        elif tag == AC + "rich-text-body":
            bodies.append(child)
        elif tag == AC + "plain-text-body":
            plain = (plain or "") + (child.text or "")
    name = (el.get(AC + "name") or "").strip().lower()
    return Macro(name, el, params, param_els, tuple(bodies), plain, names)


def render_macro(r: Renderer, el: Element) -> Rendered:
    """Dispatch one macro element to its handler."""
    m = parse_macro(el)
    r.col.count("macro:" + (m.name or "unnamed"))
    handler = HANDLERS.get(m.name)
    if handler is None:
        handler = dynamic.dynamic if m.name in DYNAMIC_MACROS else generic
    result = handler(r, m)
    if r.in_cell and isinstance(result, list) and len(result) == 1 and is_marker(result[0]):
        return result[0]  # inside a one-line cell a lone marker is inline
    return result


def is_marker(block: str) -> bool:
    """True for a single-line ``<!-- … -->`` marker."""
    return block.startswith("<!--") and block.endswith("-->") and "\n" not in block


# ------------------------------------------------------------------ helpers


def inline_only(bodies: tuple[Element, ...] | list[Element]) -> bool:
    """True when no body holds a block element or a macro that renders as blocks."""
    for body in bodies:
        for child in body:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag in BLOCK_TAGS:
                return False
            if tag in MACRO_TAGS:
                name = (child.get(AC + "name") or "").strip().lower()
                if name in INLINE_MACROS:
                    continue
                if name in HANDLERS or name in DYNAMIC_MACROS:
                    return False
                rich = [b for b in child if b.tag == AC + "rich-text-body"]
                if not rich or child.find(AC + "plain-text-body") is not None:
                    return False  # a marker line or a fence
                if not inline_only(rich):
                    return False
    return True


INLINE_MACROS = frozenset({"status", "anchor", "jira", "profile", "profile-picture"})
"""Macros that always render inline."""


def body_blocks(r: Renderer, m: Macro) -> Rendered:
    """The rich bodies, inline when they hold only inline content."""
    if not m.bodies:
        return []
    if inline_only(m.bodies):
        return " ".join(t for t in (r.inline_text(b) for b in m.bodies) if t)
    return r.flow_all(list(m.bodies))


def as_blocks(r: Renderer, rendered: Rendered) -> list[str]:
    """Rendered content as blocks."""
    if isinstance(rendered, str):
        return paragraphs(rendered, r.in_cell)
    return rendered


def callout(r: Renderer, kind: str, title: str, blocks: list[str]) -> list[str]:
    """A lossless callout: ``> [!KIND] Title``, a blank quote line, then the body."""
    title = escape(collapse(title).strip())
    if r.in_cell:
        return [f"**{kind}:** {title}".rstrip(), *blocks]
    head = f"[!{kind}] {title}".rstrip()
    if blocks:
        head += "\n\n" + "\n\n".join(blocks)
    return [quote_block(head)]


# ------------------------------------------------------------------ handlers


def generic(r: Renderer, m: Macro) -> Rendered:
    """An unknown macro: its body (rich or plain) between ``<!-- macro: name -->`` markers.

    Parameters are never written; a body that holds only inline content joins the text.
    """
    r.col.fallback(m.name or "unnamed")
    head = f"<!-- macro: {dynamic.safe_name(m.name)} -->"
    if m.plain is not None and m.plain.strip():
        body = code_block(r, m.plain, "")
    else:
        rendered = body_blocks(r, m)
        if isinstance(rendered, str):
            return rendered
        body = rendered
    if not body:
        return [head]
    if r.in_cell:  # a table cell holds one line: markers could not pair up there
        return body
    return [head, *body, dynamic.MACRO_CLOSE]


def wrapped(r: Renderer, m: Macro, blocks: list[str]) -> list[str]:
    """Blocks of a known macro kept between markers so write-back can restore it."""
    if not blocks or r.in_cell:
        return blocks
    return [dynamic.marker(m.name, m.original_params(), "macro"), *blocks, dynamic.MACRO_CLOSE]


def transparent(r: Renderer, m: Macro) -> Rendered:
    """Layout and formatting macros (section, column, align, ...): the body alone."""
    return body_blocks(r, m)


def code(r: Renderer, m: Macro) -> Rendered:
    """``code``: a fenced block with the language mapped; ``title`` as an italic caption."""
    language = markdown_language(m.param("language", ""))
    content = m.plain if m.plain is not None else "\n".join(raw_text(b) for b in m.bodies)
    blocks = code_block(r, content, language) if content.strip() else []
    title = collapse(m.param("title")).strip()
    if title:
        blocks.insert(0, f"*{escape(title)}*")
    return blocks


def noformat(r: Renderer, m: Macro) -> Rendered:
    """``noformat``: a fence without language."""
    content = m.plain if m.plain is not None else "\n".join(raw_text(b) for b in m.bodies)
    return code_block(r, content, "") if content.strip() else []


def fenced(language: str) -> Handler:
    """A handler writing the plain body as a fence in ``language`` (plantuml, mermaid)."""

    def handler(r: Renderer, m: Macro) -> Rendered:
        """The plain body fenced; without one, a placeholder."""
        if m.plain is None or not m.plain.strip():
            return dynamic.dynamic(r, m)
        return code_block(r, m.plain, language)

    return handler


def panel(r: Renderer, m: Macro) -> Rendered:
    """info/note/warning/tip/panel as ``> [!INFO] Title`` (type = macro name)."""
    blocks = as_blocks(r, body_blocks(r, m))
    return callout(r, m.name.upper(), m.param("title"), blocks)


def expand(r: Renderer, m: Macro) -> Rendered:
    """``expand`` as ``<details><summary>``; the body is always included."""
    title = collapse(m.param("title")).strip()
    blocks = as_blocks(r, body_blocks(r, m))
    if r.in_cell:
        return [f"**{escape(title)}**", *blocks] if title else blocks
    head = "<details>"
    if title:
        safe = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        head += f"\n<summary>{safe}</summary>"
    return [head, *blocks, "</details>"]


def titled(r: Renderer, m: Macro) -> Rendered:
    """Tab-like macros (localtab, ui-tab, ...): the visible tab title in bold, then the body."""
    title = collapse(m.param("title", "name")).strip()
    blocks = as_blocks(r, body_blocks(r, m))
    return [f"**{escape(title)}**", *blocks] if title else blocks


def status(r: Renderer, m: Macro) -> Rendered:
    """A status lozenge as ``**[TITLE]**``; the colour goes to the structure."""
    title = collapse(m.param("title")).strip()
    r.col.statuses.append(Status(title, m.param("colour", "color") or None))
    if not title:
        return ""
    if r.marks:  # inside emphasis a bold lozenge would tangle the delimiters: plain brackets
        return escape(f"[{title}]")
    return f"**[{escape(title)}]**"


def anchor(r: Renderer, m: Macro) -> Rendered:
    """``anchor``: dropped from the text, kept as a link target."""
    name = m.param("", "anchor")
    if name:
        r.col.anchors[name] = None
    return ""


def excerpt(r: Renderer, m: Macro) -> Rendered:
    """``excerpt``: the body rendered; its text (and ``hidden``) go to the structure."""
    if r.include_level == 0 and r.col.excerpt is None:
        r.col.excerpt = " ".join(plain_text(b) for b in m.bodies).strip()
        r.col.excerpt_hidden = m.param("hidden").lower() == "true"
    return wrapped(r, m, as_blocks(r, body_blocks(r, m)))


def jira(r: Renderer, m: Macro) -> Rendered:
    """``jira``: one issue key as a link; a JQL table as a placeholder naming the query."""
    key = m.param("key")
    if key:
        base = (r.ctx.jira_base_url or "").rstrip("/")
        url = f"{base}/browse/{key}" if base else ""
        r.col.links.append(LinkRef("jira", url or key, key))
        return link(escape(key), url) if url else escape(key)
    return dynamic.dynamic(r, m)


def details(r: Renderer, m: Macro) -> Rendered:
    """Page properties: the table is kept and its key/values copied to the structure."""
    counted = r.include_level == 0
    if counted:
        r.props_depth += 1
    try:
        return wrapped(r, m, as_blocks(r, body_blocks(r, m)))
    finally:
        if counted:
            r.props_depth -= 1


def view_file(r: Renderer, m: Macro) -> Rendered:
    """view-file / viewpdf / viewdoc / ...: a link to the attachment."""
    text = links.attachment_link(r, m.ri("name", "attachment"), m.param("name"))
    if not text:
        r.col.fallback(m.name)
        return [f"<!-- macro: {dynamic.safe_name(m.name)} -->"]
    return text


def multimedia(r: Renderer, m: Macro) -> Rendered:
    """multimedia: a link to the attachment or URL it plays."""
    att = m.ri("name", "attachment")
    if att is not None or m.param("name"):
        return view_file(r, m)
    return widget(r, m)


def widget(r: Renderer, m: Macro) -> Rendered:
    """widget (and URL-based multimedia): a link to the embedded URL."""
    url_el = m.ri("url", "url")
    url = url_el.get(RI + "value", "") if url_el is not None else m.param("url")
    text = links.url_link(r, url) if url else ""
    if not text:
        r.col.fallback(m.name)
        return [f"<!-- macro: {dynamic.safe_name(m.name)} -->"]
    return text


def gallery(r: Renderer, m: Macro) -> Rendered:
    """gallery: links to the listed images, else a placeholder (or the listing resolver's)."""
    names = [n.strip() for n in m.param("include").split(",") if n.strip()]
    if not names:
        return dynamic.dynamic(r, m)
    items = [links.attachment_link(r, None, n) for n in names]
    return ["\n".join(f"- {i}" for i in items if i)]


def diagram(r: Renderer, m: Macro) -> Rendered:
    """drawio / gliffy: a link to the diagram attachment, with the diagram's name."""
    r.col.fallback(m.name)
    filename = m.param("diagramname", "name")
    label = m.param("diagramdisplayname", "name", "diagramname") or filename
    if not filename:
        return [f"<!-- macro: {dynamic.safe_name(m.name)} -->"]
    page_id = m.param("pageid", "contentid")
    container = None
    if page_id and page_id != r.ctx.page_id:
        container = PageRef("content", content_id=page_id)
    r.col.attachment(filename, container)
    url = links.attachment_url(r, filename, container)
    r.col.links.append(LinkRef("attachment", url, label, filename=filename))
    return "Diagram: " + link(escape(label), url)


def html_macro(r: Renderer, m: Macro) -> Rendered:
    """html (DC): tags stripped to text, never passed through."""
    r.col.fallback(m.name)
    return dynamic.html_to_blocks(r, m.plain or "")


def profile(r: Renderer, m: Macro) -> Rendered:
    """profile: ``@Display Name`` of the user it shows."""
    user = m.ri("user", "user")
    if user is None:
        r.col.fallback(m.name)
        return ""
    return links.mention_text(r, user)


def markdown_macro(r: Renderer, m: Macro) -> Rendered:
    """markdown: the Markdown source passed through."""
    text = (m.plain or "").strip("\n").rstrip()
    if not text.strip():
        return []
    if r.in_cell:
        return [" ".join(text.split())]
    return [text]


def toc(r: Renderer, m: Macro) -> Rendered:
    """toc: sets ``has_toc``; a ``<!-- dynamic: toc -->`` line keeps it for write-back."""
    r.col.has_toc = True
    return [dynamic.marker(m.name, m.original_params())]


def toc_zone(r: Renderer, m: Macro) -> Rendered:
    """toc-zone: a table of contents around a body; the body is kept."""
    r.col.has_toc = True
    return body_blocks(r, m)


_VIEW_FILE = ("view-file", "viewfile", "viewpdf", "viewdoc", "viewxls", "viewppt", "office")
_TRANSPARENT = (
    "section",
    "column",
    "align",
    "center",
    "div",
    "span",
    "table-filter",
    "table-chart",
    "table-excerpt",
    "table-transformer",
    "pivot-table",
    "chart",
    "localtabgroup",
    "ui-tabs",
    "deck",
    "horizontal-nav-group",
    "ui-steps",
    "auitabs",
    "hide-if",
    "show-if",
    "noprint",
    "tooltip",
    "highlight",
)

HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(CALLOUT_MACROS, panel),
    **dict.fromkeys(_VIEW_FILE, view_file),
    **dict.fromkeys(_TRANSPARENT, transparent),
    **dict.fromkeys(("localtab", "ui-tab", "tab", "card", "aura-tab", "ui-step"), titled),
    "code": code,
    "noformat": noformat,
    "plantuml": fenced("plantuml"),
    "plantumlcloud": fenced("plantuml"),
    "mermaid": fenced("mermaid"),
    "mermaid-cloud": fenced("mermaid"),
    "expand": expand,
    "ui-expand": expand,
    "status": status,
    "anchor": anchor,
    "excerpt": excerpt,
    "jira": jira,
    "details": details,
    "multimedia": multimedia,
    "widget": widget,
    "gallery": gallery,
    "drawio": diagram,
    "drawio-sketch": diagram,
    "inc-drawio": diagram,
    "gliffy": diagram,
    "html": html_macro,
    "profile": profile,
    "profile-picture": profile,
    "markdown": markdown_macro,
    "toc": toc,
    "toc-zone": toc_zone,
    "include": dynamic.include,
    "excerpt-include": dynamic.include,
}
"""Macro name -> handler. Unknown names go to :func:`generic` (or the dynamic placeholder)."""
