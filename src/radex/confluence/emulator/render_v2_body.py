"""Storage format → the ``view`` family of HTML bodies (macros resolved, links made real)."""

from __future__ import annotations

import html
import re
from html.entities import name2codepoint
from typing import Any
from urllib.parse import quote, quote_plus

from lxml import etree

from radex.confluence.emulator.model import Content, Site

AC = "{http://atlassian.com/content}"
RI = "{http://atlassian.com/resource/identifier}"
_WRAP = (
    '<root xmlns:ac="http://atlassian.com/content" '
    'xmlns:ri="http://atlassian.com/resource/identifier">{}</root>'
)
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}
_VOID = {"br", "hr", "img", "col", "input", "meta", "link", "area", "source", "wbr"}
_PANELS = {"info": "information", "note": "note", "warning": "warning", "tip": "tip"}


def _numeric_entities(text: str) -> str:
    def swap(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES or name not in name2codepoint:
            return m.group(0)
        return f"&#{name2codepoint[name]};"

    return _ENTITY.sub(swap, text)


def parse_storage(storage: str) -> Any:
    """The storage fragment as an lxml element ``<root>`` (lenient, entities resolved)."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(_WRAP.format(_numeric_entities(storage)).encode(), parser)
    if root is None:  # pragma: no cover - recover=True yields a root for any text
        root = etree.Element("root")
    return root


def local(el: Any) -> str:
    """An element's tag with ``ac:``/``ri:`` prefixes instead of namespace URIs."""
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.replace(AC, "ac:").replace(RI, "ri:")


def attr(el: Any, name: str) -> str:
    """An ``ac:``/``ri:`` (or plain) attribute value, "" when absent."""
    key = name.replace("ac:", AC).replace("ri:", RI)
    return str(el.get(key, ""))


def macro_params(el: Any) -> dict[str, str]:
    """A structured macro's parameters as text."""
    return {attr(p, "ac:name"): "".join(p.itertext()) for p in el if local(p) == "ac:parameter"}


def child(el: Any, name: str) -> Any:
    """The first direct child with this prefixed tag, or None."""
    return next((c for c in el if local(c) == name), None)


def find_page(site: Site, space_key: str, title: str, type_: str = "page") -> Content | None:
    """Content of a type by title within a space."""
    return next(
        (
            c
            for c in site.content.values()
            if c.space_key == space_key and c.type == type_ and c.title == title
        ),
        None,
    )


def storage_to_view(storage: str, site: Site, space_key: str, link_base: str = "/wiki") -> str:
    """Rendered HTML for a storage body; ``link_base`` prefixes site links ("/wiki" or absolute)."""
    root = parse_storage(storage)
    return _ViewRenderer(site, space_key, link_base, root).inner(root)


class _ViewRenderer:
    """Walks a parsed storage tree once, writing the HTML Confluence shows for it."""

    def __init__(self, site: Site, space_key: str, base: str, root: Any) -> None:
        self.site = site
        self.space_key = space_key
        self.base = base.rstrip("/")
        self.root = root

    def inner(self, el: Any) -> str:
        out = [html.escape(el.text or "", quote=False)]
        for kid in el:
            out.append(self.node(kid))
            out.append(html.escape(kid.tail or "", quote=False))
        return "".join(out)

    def node(self, el: Any) -> str:
        if not isinstance(el.tag, str):
            return ""  # comments, processing instructions
        tag = local(el)
        if tag.startswith("ac:") or tag.startswith("ri:"):
            return self.special(el, tag)
        attrs = "".join(f' {k}="{html.escape(str(v))}"' for k, v in el.attrib.items())
        if tag in _VOID:
            return f"<{tag}{attrs} />"
        return f"<{tag}{attrs}>{self.inner(el)}</{tag}>"

    def special(self, el: Any, tag: str) -> str:
        handlers = {
            "ac:structured-macro": self.macro,
            "ac:link": self.link,
            "ac:image": self.image,
            "ac:emoticon": self.emoticon,
            "ac:task-list": self.tasks,
            "ac:layout": self.layout,
            "ac:inline-comment-marker": self.marker,
        }
        if tag in handlers:
            return handlers[tag](el)
        if tag == "ac:adf-extension":
            fallback = child(el, "ac:adf-fallback")
            return self.inner(fallback) if fallback is not None else ""
        if tag in ("ac:placeholder", "ac:parameter"):
            return ""
        return self.inner(el)

    # ---- macros -----------------------------------------------------------------------------

    def macro(self, el: Any) -> str:
        name = attr(el, "ac:name")
        params = macro_params(el)
        rich = child(el, "ac:rich-text-body")
        plain = child(el, "ac:plain-text-body")
        body = self.inner(rich) if rich is not None else ""
        if name in _PANELS:
            kind = _PANELS[name]
            title = params.get("title", "")
            head = f'<p class="title">{html.escape(title)}</p>' if title else ""
            return (
                f'<div class="confluence-information-macro confluence-information-macro-{kind} '
                f'conf-macro output-block" data-macro-name="{name}">{head}'
                f'<span class="aui-icon aui-icon-small confluence-information-macro-icon"></span>'
                f'<div class="confluence-information-macro-body">{body}</div></div>'
            )
        if name in ("code", "noformat"):
            text = "".join(plain.itertext()) if plain is not None else ""
            lang = params.get("language", "none" if name == "code" else "text")
            return (
                f'<div class="code panel pdl conf-macro output-block" data-macro-name="{name}">'
                f'<div class="codeContent panelContent pdl"><pre class="syntaxhighlighter-pre" '
                f'data-syntaxhighlighter-params="brush: {html.escape(lang)}; gutter: false">'
                f"{html.escape(text, quote=False)}</pre></div></div>"
            )
        if name == "panel":
            title = html.escape(params.get("title", ""))
            head = f'<div class="panelHeader"><b>{title}</b></div>' if title else ""
            return (
                f'<div class="panel conf-macro output-block" data-macro-name="panel">{head}'
                f'<div class="panelContent">{body}</div></div>'
            )
        if name == "expand":
            title = html.escape(params.get("title", "Click here to expand..."))
            return (
                f'<div class="expand-container conf-macro output-block" data-macro-name="expand">'
                f'<div class="expand-control"><span class="expand-control-text">{title}</span>'
                f'</div><div class="expand-content">{body}</div></div>'
            )
        if name == "status":
            colour = params.get("colour", "Grey").lower()
            return (
                f'<span class="status-macro aui-lozenge aui-lozenge-{html.escape(colour)} '
                f'conf-macro output-inline" data-macro-name="status">'
                f"{html.escape(params.get('title', colour).upper())}</span>"
            )
        if name == "anchor":
            anchor = html.escape(params.get("", ""))
            return (
                f'<span class="confluence-anchor-link conf-macro output-inline" id="{anchor}">'
                "</span>"
            )
        if name == "toc":
            return self.toc()
        return (
            f'<div class="conf-macro output-block" data-macro-name="{html.escape(name)}">'
            f"{body}</div>"
        )

    def toc(self) -> str:
        items = [
            f'<li><a href="#{quote(text)}">{html.escape(text)}</a></li>'
            for h in self.root.iter()
            if isinstance(h.tag, str) and re.fullmatch(r"h[1-6]", h.tag)
            for text in ["".join(h.itertext()).strip()]
        ]
        return (
            '<div class="toc-macro conf-macro output-block" data-macro-name="toc">'
            f"<ul>{''.join(items)}</ul></div>"
        )

    # ---- links, images, emoticons -----------------------------------------------------------

    def _target(self, el: Any) -> tuple[str, str, str]:
        """(href, default text, css class) for the ``ri:*`` target inside a link or image."""
        for ref in el:
            tag = local(ref)
            if tag == "ri:page":
                key = attr(ref, "ri:space-key") or self.space_key
                title = attr(ref, "ri:content-title")
                page = find_page(self.site, key, title)
                if page is None:
                    return f"{self.base}/spaces/{key}", title, "createlink"
                href = f"{self.base}/spaces/{key}/pages/{page.id}/{quote_plus(title)}"
                return href, title, ""
            if tag == "ri:blog-post":
                key = attr(ref, "ri:space-key") or self.space_key
                title = attr(ref, "ri:content-title")
                post = find_page(self.site, key, title, "blogpost")
                pid = post.id if post else ""
                return f"{self.base}/spaces/{key}/blog/{pid}", title, ""
            if tag == "ri:user":
                user = self.site.find_user(
                    attr(ref, "ri:account-id")
                    or attr(ref, "ri:userkey")
                    or attr(ref, "ri:username")
                )
                name = user.display_name if user else "Unknown User"
                aid = user.account_id if user else ""
                return f"{self.base}/people/{aid}", name, "confluence-userlink user-mention"
            if tag == "ri:attachment":
                return self._attachment_href(ref), attr(ref, "ri:filename"), ""
            if tag == "ri:url":
                return attr(ref, "ri:value"), attr(ref, "ri:value"), "external-link"
            if tag == "ri:space":
                key = attr(ref, "ri:space-key")
                return f"{self.base}/spaces/{key}", key, ""
            if tag == "ri:content-entity":
                cid = attr(ref, "ri:content-id")
                content = self.site.content.get(cid)
                if content is not None:
                    return f"{self.base}/pages/viewpage.action?pageId={cid}", content.title, ""
        anchor = attr(el, "ac:anchor")
        return (f"#{anchor}", anchor, "") if anchor else ("", "", "")

    def _attachment_href(self, ref: Any) -> str:
        filename = attr(ref, "ri:filename")
        owner_ref = child(ref, "ri:page")
        key = self.space_key
        title = ""
        if owner_ref is not None:
            key = attr(owner_ref, "ri:space-key") or key
            title = attr(owner_ref, "ri:content-title")
        owner = find_page(self.site, key, title) if title else None
        owner_id = owner.id if owner else "0"
        return f"{self.base}/download/attachments/{owner_id}/{quote(filename)}?api=v2"

    def link(self, el: Any) -> str:
        href, text, css = self._target(el)
        body = child(el, "ac:link-body")
        plain = child(el, "ac:plain-text-link-body")
        if body is not None:
            label = self.inner(body)
        elif plain is not None:
            label = html.escape("".join(plain.itertext()), quote=False)
        else:
            label = html.escape(text, quote=False)
        cls = f' class="{css}"' if css else ""
        return f'<a href="{html.escape(href)}"{cls}>{label}</a>'

    def image(self, el: Any) -> str:
        src, _, _ = self._target(el)
        alt = html.escape(attr(el, "ac:alt"))
        size = "".join(
            f' {k}="{html.escape(attr(el, "ac:" + k))}"'
            for k in ("width", "height")
            if attr(el, "ac:" + k)
        )
        return (
            '<span class="confluence-embedded-file-wrapper">'
            f'<img class="confluence-embedded-image" src="{html.escape(src)}" alt="{alt}"{size} />'
            "</span>"
        )

    def emoticon(self, el: Any) -> str:
        name = attr(el, "ac:name") or "smile"
        fallback = attr(el, "ac:emoji-fallback")
        return (
            f'<img class="emoticon emoticon-{html.escape(name)}" data-emoticon-name="'
            f'{html.escape(name)}" alt="{html.escape(fallback or "(" + name + ")")}" '
            f'src="{self.base}/images/icons/emoticons/{quote(name)}.svg" />'
        )

    # ---- tasks, layouts, markers ------------------------------------------------------------

    def tasks(self, el: Any) -> str:
        items = []
        for task in el:
            if local(task) != "ac:task":
                continue
            tid_el = child(task, "ac:task-id")
            status_el = child(task, "ac:task-status")
            body_el = child(task, "ac:task-body")
            done = status_el is not None and "".join(status_el.itertext()).strip() == "complete"
            tid = "".join(tid_el.itertext()).strip() if tid_el is not None else ""
            body = self.inner(body_el) if body_el is not None else ""
            cls = ' class="checked"' if done else ""
            items.append(f'<li{cls} data-inline-task-id="{html.escape(tid)}">{body}</li>')
        return f'<ul class="inline-task-list">{"".join(items)}</ul>'

    def layout(self, el: Any) -> str:
        sections = []
        for section in el:
            if local(section) != "ac:layout-section":
                continue
            kind = html.escape(attr(section, "ac:type") or "single")
            cells = "".join(
                f'<div class="cell normal" data-type="normal"><div class="innerCell">'
                f"{self.inner(cell)}</div></div>"
                for cell in section
                if local(cell) == "ac:layout-cell"
            )
            sections.append(f'<div class="columnLayout {kind}" data-layout="{kind}">{cells}</div>')
        return f'<div class="contentLayout2">{"".join(sections)}</div>'

    def marker(self, el: Any) -> str:
        ref = html.escape(attr(el, "ac:ref"))
        return f'<span class="inline-comment-marker" data-ref="{ref}">{self.inner(el)}</span>'
