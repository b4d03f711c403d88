"""Macros whose content lives elsewhere: dynamic listings, includes, and the html macro.

A dynamic macro is written as ``<!-- dynamic: NAME key="value" ... -->``. When a resolver
supplies the content (a listing, an included page) it follows the marker and is closed by
``<!-- /dynamic -->``; write-back turns the pair back into the macro and drops what is between.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lxml import etree

from radex.confluence.storage.inline import paragraphs
from radex.confluence.storage.model import IncludeRef, LinkRef, ListingEntry, PageRef
from radex.confluence.storage.parse import AC, parse_storage
from radex.confluence.storage.text import collapse, escape, indent, link
from radex.errors import ConversionError

if TYPE_CHECKING:
    from radex.confluence.storage.macros import Macro, Rendered
    from radex.confluence.storage.render import Renderer

    Element = etree._Element

CLOSE = "<!-- /dynamic -->"
"""Closes the content a resolver supplied for a dynamic macro."""

MACRO_CLOSE = "<!-- /macro -->"
"""Closes the body of a macro that Markdown cannot express (write-back restores the macro)."""

NOISE_PARAMS = frozenset(
    {
        "",
        "serverid",
        "server",
        "macroid",
        "atlassian-macro-output-type",
        "ismissingrequiredparameters",
        "schema-version",
        "local-id",
    }
)
"""Parameters left out of placeholders: identifiers and editor bookkeeping, not meaning."""

_NAME = re.compile(r"[^\w.:-]")
_MAX_VALUE = 300
_HTML_BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "table",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "section",
        "article",
        "hr",
        "dt",
        "dd",
    }
)


def safe_name(name: str) -> str:
    """A macro name that is safe inside an HTML comment."""
    cleaned = _NAME.sub("", name).replace("--", "-")
    return cleaned or "unnamed"


def _value(text: str) -> str:
    text = collapse(text).strip()[:_MAX_VALUE]
    return (
        text.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "&#124;")
    )


def marker(name: str, params: Mapping[str, str], kind: str = "dynamic") -> str:
    """``<!-- dynamic: NAME k="v" ... -->`` (or ``macro:``) with meaningful parameters, sorted."""
    pairs = [
        f'{safe_name(k)}="{_value(v)}"'
        for k, v in sorted(params.items())
        if k.lower() not in NOISE_PARAMS and v.strip()
    ]
    inner = " ".join([safe_name(name), *pairs])
    return f"<!-- {kind}: {inner} -->"


def dynamic(r: Renderer, m: Macro) -> Rendered:
    """A dynamic macro: the listing resolver's entries between markers, else a placeholder."""
    r.col.dynamic[m.name] = None
    head = marker(m.name, m.original_params())
    entries = r.ctx.listing(m.name, m.params) if r.ctx.listing is not None else None
    if not entries:
        r.col.fallback("dynamic:" + (m.name or "unnamed"))
        return [head]
    if r.in_cell:
        return [_listing(r, entries)]
    return [head, _listing(r, entries), CLOSE]


def _listing(r: Renderer, entries: Sequence[ListingEntry]) -> str:
    lines = []
    for entry in entries:
        title = escape(collapse(entry.title).strip()) or "untitled"
        item = link(title, entry.url) if entry.url else title
        if entry.url:
            r.col.links.append(LinkRef("page", entry.url, title, title=entry.title))
        lines.append(indent(f"- {item}", "  " * max(0, min(entry.depth, 20))))
    return "\n".join(lines)


# ---------------------------------------------------------------- includes


def include_target(m: Macro) -> PageRef | None:
    """The page an include/excerpt-include names: an ``ac:link`` parameter or legacy text."""
    from radex.confluence.storage.links import page_ref, page_ref_from_text

    for key in ("", "page", "pagetitle"):
        el = m.param_els.get(key)
        if el is None:
            continue
        for node in el.iter():
            if isinstance(node.tag, str):
                ref = page_ref(node)
                if ref is not None:
                    return ref
        ref = page_ref_from_text(m.params.get(key, ""))
        if ref is not None:
            return ref
    return None


def _label(ref: PageRef) -> dict[str, str]:
    if ref.content_id:
        return {"id": ref.content_id}
    label = {"title": ref.title or ""}
    if ref.space_key:
        label["space"] = ref.space_key
    return label


def include(r: Renderer, m: Macro) -> Rendered:
    """include / excerpt-include: inlined only when safe (resolver, no cycle, ACL covers host)."""
    from radex.confluence.storage.links import page_url

    ref = include_target(m)
    if ref is None:
        r.col.fallback(m.name)
        return [marker(m.name, {})]
    r.col.dynamic[m.name] = None
    head = marker(m.name, _label(ref))
    inlined, reason, blocks, url = _try_include(r, m, ref)
    r.col.includes.append(IncludeRef(m.name, ref, inlined, reason))
    if inlined:
        return blocks if r.in_cell else [head, *blocks, CLOSE]
    r.col.fallback(m.name)
    url = url or page_url(r, ref)
    title = ref.title or ref.content_id or "included page"
    r.col.links.append(
        LinkRef("page", url, title, ref.title, ref.space_key or r.ctx.space_key, ref.content_id)
    )
    text = link(escape(title), url)
    return [text] if r.in_cell else [head, text, CLOSE]


def _try_include(r: Renderer, m: Macro, ref: PageRef) -> tuple[bool, str, list[str], str | None]:
    if r.ctx.include is None:
        return False, "no include resolver", [], None
    if ref.key() in r.include_stack:
        return False, "include cycle", [], None
    if r.include_level >= r.ctx.max_include_depth:
        return False, "include depth limit", [], None
    page = r.ctx.include(ref)
    if page is None:
        return False, "page not found", [], None
    keys = [ref.key()]
    if page.page_id:
        keys.append(f"id:{page.page_id}")
        if keys[-1] in r.include_stack:
            return False, "include cycle", [], page.url
    if not page.visible_to_all_host_readers:
        return False, "restricted: not readable by every reader of this page", [], page.url
    try:
        parsed = parse_storage(page.body, max_chars=r.ctx.max_body_chars)
    except ConversionError as exc:
        r.col.warn(f"included page {ref.title or ref.content_id!r} could not be read: {exc}")
        return False, "unreadable body", [], page.url
    r.col.warnings.extend(w for w in parsed.warnings if w not in r.col.warnings)
    source: list[Element] = [parsed.root]
    if m.name == "excerpt-include":
        source = _excerpt_bodies(parsed.root, m.param("name"))
        if not source:
            return False, "no excerpt on the page", [], page.url
    r.include_stack.extend(keys)
    r.include_level += 1
    try:
        blocks = r.flow_all(source)
    finally:
        r.include_level -= 1
        del r.include_stack[-len(keys) :]
    return True, "", blocks, page.url


def _excerpt_bodies(root: Element, name: str) -> list[Element]:
    for el in root.iter(AC + "structured-macro", AC + "macro"):
        if (el.get(AC + "name") or "").strip().lower() != "excerpt":
            continue
        if name:
            own = [p for p in el if p.tag == AC + "parameter" and p.get(AC + "name") == "name"]
            if own and (own[0].text or "").strip() != name:
                continue
        return [b for b in el if b.tag == AC + "rich-text-body"]
    return []


# ------------------------------------------------------------------- html


def html_to_blocks(r: Renderer, source: str) -> list[str]:
    """Text of an HTML fragment, tags stripped (script/style dropped), split at block tags."""
    if not source.strip():
        return []
    parser = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(f"<div>{source}</div>".encode(errors="replace"), parser)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return paragraphs(escape(collapse(source)), r.in_cell)
    parts: list[str] = []
    skipping = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in ("script", "style"):
                skipping += 1
            elif tag in _HTML_BLOCKS:
                parts.append("\n\n")
            if not skipping and el.text:
                parts.append(el.text)
        else:
            if tag in ("script", "style"):
                skipping -= 1
            elif tag in _HTML_BLOCKS:
                parts.append("\n\n")
            if not skipping and el.tail:
                parts.append(el.tail)
    blocks = []
    for chunk in "".join(parts).split("\n\n"):
        text = collapse(chunk).strip()
        if text:
            blocks.extend(paragraphs(escape(text), r.in_cell))
    return blocks
