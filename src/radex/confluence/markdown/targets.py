"""Link destinations back to storage targets: pages, blog posts, spaces, attachments, anchors.

The URL shapes recognised are exactly the ones :mod:`radex.confluence.storage.links` writes
(``/display/KEY/Title``, ``/pages/viewpage.action?...``, ``/download/attachments/ID/file``, a
bare file name for an attachment of this page, ``#anchor``), with or without the context's
base URL in front; a relative ``*.md`` link names a page by title. Anything else stays a URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

from radex.confluence.markdown.xml import attr
from radex.confluence.storage import ConvertContext, Flavor

TargetKind = Literal["page", "blog-post", "space", "content", "attachment", "anchor", "url", "jira"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where a Markdown link points, as storage format sees it."""

    kind: TargetKind
    xml: str = ""
    anchor: str = ""
    default_text: str = ""
    href: str = ""


def classify(href: str, ctx: ConvertContext, flavor: Flavor) -> Target:
    """Recognise a link destination produced by the storage converter (or a user)."""
    base, _, fragment = href.partition("#")
    anchor = unquote(fragment)
    if not base:
        return Target("anchor", anchor=anchor, default_text=anchor)
    jira = _jira(href, ctx)
    if jira is not None:
        return jira
    root = ctx.base_url.rstrip("/")
    path = base
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return Target("url", href=href)
    target = _internal(parts.path, parts.query, ctx, flavor)
    if target is None:
        return Target("url", href=href)
    return Target(target.kind, target.xml, anchor, target.default_text)


def _jira(href: str, ctx: ConvertContext) -> Target | None:
    base = (ctx.jira_base_url or "").rstrip("/")
    if base and href.startswith(base + "/browse/"):
        key = href[len(base) + 8 :]
        if key and "/" not in key and "?" not in key and "#" not in key:
            return Target("jira", default_text=key)
    return None


def page_xml(title: str, space: str | None, ctx: ConvertContext) -> str:
    """``<ri:page …/>``, the space key omitted when it is the context's own."""
    space_attr = f' ri:space-key="{attr(space)}"' if space and space != ctx.space_key else ""
    return f'<ri:page{space_attr} ri:content-title="{attr(title)}" />'


def _internal(path: str, query: str, ctx: ConvertContext, flavor: Flavor) -> Target | None:
    segments = path.split("/")
    qs = parse_qs(query)
    if path.startswith("/display/") and len(segments) >= 3:
        space = unquote(segments[2])
        preview = qs.get("preview", [""])[0]
        if len(segments) == 3 or (len(segments) == 4 and not segments[3]):
            return Target("space", f'<ri:space ri:space-key="{attr(space)}" />', default_text=space)
        if len(segments) == 7 and all(s.isdigit() for s in segments[3:6]):
            title = unquote_plus(segments[6])
            day = "/".join(segments[3:6])
            space_attr = f' ri:space-key="{attr(space)}"' if space != ctx.space_key else ""
            xml = (
                f'<ri:blog-post{space_attr} ri:content-title="{attr(title)}"'
                f' ri:posting-day="{attr(day)}" />'
            )
            return _with_preview(Target("blog-post", xml, default_text=title), preview)
        if len(segments) == 4:
            title = unquote_plus(segments[3])
            target = Target("page", page_xml(title, space, ctx), default_text=title)
            return _with_preview(target, preview)
        return None
    if path.endswith("/pages/viewpage.action") or path == "/pages/viewpage.action":
        if "pageId" in qs:
            return _content(qs["pageId"][0], flavor)
        if "title" in qs:
            page_title = qs["title"][0]
            space_key = qs["spaceKey"][0] if "spaceKey" in qs else None
            target = Target("page", page_xml(page_title, space_key, ctx), default_text=page_title)
            return _with_preview(target, qs.get("preview", [""])[0])
        return None
    if path.startswith("/download/attachments/") and len(segments) == 5:
        container, filename = unquote(segments[3]), unquote(segments[4])
        if not filename:
            return None
        inner = ""
        if container != ctx.page_id:
            inner = f'<ri:content-entity ri:content-id="{attr(container)}" />'
        return _attachment(filename, inner)
    if path and not path.startswith("/") and "/" not in path and not query:
        name = unquote(path)
        if name.lower().endswith(".md") and len(name) > 3:
            title = name[:-3]
            return Target("page", page_xml(title, None, ctx), default_text=title)
        if "." in name:
            return _attachment(name, "")
    return None


def _content(content_id: str, flavor: Flavor) -> Target | None:
    if flavor != "cloud" or not content_id.isdigit():
        return None
    xml = f'<ri:content-entity ri:content-id="{attr(content_id)}" />'
    return Target("content", xml, default_text=content_id)


def _attachment(filename: str, container_xml: str) -> Target:
    if container_xml:
        xml = f'<ri:attachment ri:filename="{attr(filename)}">{container_xml}</ri:attachment>'
    else:
        xml = f'<ri:attachment ri:filename="{attr(filename)}" />'
    return Target("attachment", xml, default_text=filename)


def _with_preview(target: Target, preview: str) -> Target:
    if not preview:
        return target
    return _attachment(unquote(preview).lstrip("/"), target.xml)
