"""Links, images and mentions: ``ac:link``/``ri:*`` targets, ``ac:image``, ``a``, ``img``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from radex.confluence.storage.inline import InlineBuf, one_line
from radex.confluence.storage.model import LinkKind, LinkRef, Mention, PageRef, UserIdKind
from radex.confluence.storage.parse import AC, RI
from radex.confluence.storage.text import (
    collapse,
    escape,
    image,
    link,
    safe_url,
    url_query_value,
    url_segment,
)

if TYPE_CHECKING:
    from lxml import etree

    from radex.confluence.storage.render import Renderer

    Element = etree._Element

_USER_ATTRS: tuple[tuple[str, UserIdKind], ...] = (
    (RI + "account-id", "account-id"),
    (RI + "userkey", "userkey"),
    (RI + "username", "username"),
)
_DEACTIVATED = " (Deactivated)"


# ------------------------------------------------------------------ targets


def page_ref(el: Element) -> PageRef | None:
    """The page/blog post/content an ``ri:*`` element names, or None for other targets."""
    tag = el.tag
    if tag == RI + "page":
        return PageRef(
            "page",
            title=el.get(RI + "content-title"),
            space_key=el.get(RI + "space-key"),
        )
    if tag == RI + "blog-post":
        return PageRef(
            "blog-post",
            title=el.get(RI + "content-title"),
            space_key=el.get(RI + "space-key"),
            posting_day=el.get(RI + "posting-day"),
        )
    if tag == RI + "content-entity":
        return PageRef("content", content_id=el.get(RI + "content-id"))
    return None


def page_ref_from_text(text: str) -> PageRef | None:
    """A page named in a legacy text parameter: ``SPACE:Title`` or ``Title``."""
    text = collapse(text).strip()
    if not text:
        return None
    space, sep, title = text.partition(":")
    if sep and space and " " not in space and title:
        return PageRef("page", title=title.strip(), space_key=space.strip())
    return PageRef("page", title=text)


def page_url(r: Renderer, ref: PageRef) -> str:
    """The URL of a page reference: the resolver's, else Confluence's display URL scheme."""
    if r.ctx.page_url is not None:
        url = r.ctx.page_url(ref)
        if url:
            return url
    base = r.ctx.base_url.rstrip("/")
    if ref.kind == "content":
        return f"{base}/pages/viewpage.action?pageId={url_segment(ref.content_id or '')}"
    space = ref.space_key or r.ctx.space_key
    title = url_query_value(ref.title or "")
    if not space:
        return f"{base}/pages/viewpage.action?title={title}"
    if ref.kind == "blog-post" and ref.posting_day:
        day = "/".join(url_segment(p) for p in ref.posting_day.split("/"))
        return f"{base}/display/{url_segment(space)}/{day}/{title}"
    return f"{base}/display/{url_segment(space)}/{title}"


def attachment_url(r: Renderer, filename: str, container: PageRef | None) -> str:
    """The URL of an attachment: the resolver's, else a download URL or the bare file name."""
    if r.ctx.attachment_url is not None:
        url = r.ctx.attachment_url(filename, container)
        if url:
            return url
    base = r.ctx.base_url.rstrip("/")
    if container is None:
        if r.ctx.page_id:
            return (
                f"{base}/download/attachments/{url_segment(r.ctx.page_id)}/{url_segment(filename)}"
            )
        return url_segment(filename)
    if container.kind == "content" and container.content_id:
        return (
            f"{base}/download/attachments/{url_segment(container.content_id)}/"
            f"{url_segment(filename)}"
        )
    url = page_url(r, container)
    return f"{url}{'&' if '?' in url else '?'}preview={url_segment(filename)}"


def attachment_target(r: Renderer, el: Element) -> tuple[str, PageRef | None]:
    """File name and container of an ``ri:attachment`` (recorded in the structure)."""
    filename = el.get(RI + "filename") or ""
    container = None
    for child in el:
        if isinstance(child.tag, str):
            container = page_ref(child)
            if container is not None:
                break
    if filename:
        r.col.attachment(filename, container)
    return filename, container


def anchor_fragment(anchor: str) -> str:
    """A URL fragment for a heading or anchor-macro name."""
    return "-".join(anchor.split()).replace("(", "%28").replace(")", "%29")


def space_url(r: Renderer, key: str) -> str:
    """The URL of a space's home."""
    return f"{r.ctx.base_url.rstrip('/')}/display/{url_segment(key)}"


# ------------------------------------------------------------------ mentions


def mention_text(r: Renderer, el: Element) -> str:
    """``@Display Name`` for a ``ri:user`` (``@user:<id>`` when no resolver knows them)."""
    for attr, kind in _USER_ATTRS:
        user_id = el.get(attr)
        if user_id:
            name = r.ctx.users(kind, user_id) if r.ctx.users is not None else None
            if name and name.endswith(_DEACTIVATED):
                name = name[: -len(_DEACTIVATED)]
            r.col.mention(Mention(kind, user_id, name or None))
            return "@" + escape(collapse(name).strip()) if name else f"@user:{escape(user_id)}"
    r.col.fallback("user-without-id")
    return "@unknown-user"


def bare_user(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """A ``ri:user`` met outside a link (e.g. in a macro body): a mention."""
    buf.literal(mention_text(r, el))


# ------------------------------------------------------------------- ac:link


def ac_link(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An ``ac:link``: page, blog post, attachment, space, user, URL, content id or anchor."""
    target = None
    body_el = None
    plain_body = None
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == AC + "link-body":
            body_el = child
        elif tag == AC + "plain-text-link-body":
            plain_body = child.text or ""
        elif tag.startswith(RI) and target is None:
            target = child
    anchor = el.get(AC + "anchor")
    if target is not None and target.tag == RI + "user":
        text = _body(r, body_el, plain_body)
        buf.literal(text or mention_text(r, target))
        if text:
            mention_text(r, target)
        return
    url, default, ref = _resolve(r, target, anchor)
    if url is None or r.link_depth:  # no target, or inside another link: the text alone
        if url is None:
            r.col.fallback("link:" + (ref.kind if ref else "empty"))
        if ref is not None:
            r.col.links.append(_with_text(ref, default))
        if body_el is not None:
            r.inline(body_el, buf)
        else:
            buf.text(plain_body if plain_body and plain_body.strip() else default)
        return
    text = _body(r, body_el, plain_body) or escape(default)
    if ref is not None:
        r.col.links.append(_with_text(ref, text))
    buf.link(link(text, url))


def _with_text(ref: LinkRef, text: str) -> LinkRef:
    return LinkRef(
        ref.kind,
        ref.target,
        text,
        ref.title,
        ref.space_key,
        ref.page_id,
        ref.anchor,
        ref.filename,
    )


def _body(r: Renderer, body_el: Element | None, plain_body: str | None) -> str:
    if body_el is not None:
        r.link_depth += 1
        try:
            return r.inline_text(body_el)
        finally:
            r.link_depth -= 1
    if plain_body:
        return escape(collapse(plain_body).strip())
    return ""


def _resolve(
    r: Renderer, target: Element | None, anchor: str | None
) -> tuple[str | None, str, LinkRef | None]:
    frag = f"#{anchor_fragment(anchor)}" if anchor else ""
    if target is None:
        if not anchor:
            return None, "", None
        return frag, anchor, LinkRef("anchor", frag, anchor=anchor)
    tag = target.tag
    ref = page_ref(target)
    if ref is not None:
        url = page_url(r, ref) + frag
        if ref.kind == "content":
            default = ref.content_id or ""
            kind: LinkKind = "content"
        else:
            default = ref.title or ""
            kind = "blog-post" if ref.kind == "blog-post" else "page"
        space = ref.space_key or r.ctx.space_key
        return (
            url,
            default,
            LinkRef(
                kind, url, title=ref.title, space_key=space, page_id=ref.content_id, anchor=anchor
            ),
        )
    if tag == RI + "attachment":
        filename, container = attachment_target(r, target)
        url = attachment_url(r, filename, container) + frag
        return url, filename, LinkRef("attachment", url, filename=filename, anchor=anchor)
    if tag == RI + "space":
        key = target.get(RI + "space-key") or ""
        url = space_url(r, key) + frag
        return url, key, LinkRef("space", url, space_key=key)
    if tag == RI + "url":
        value = safe_url(target.get(RI + "value") or "")
        if not value:
            return None, "", None
        return value, value, LinkRef("url", value)
    if tag == RI + "shortcut":
        key = target.get(RI + "key") or ""
        param = target.get(RI + "parameter") or ""
        text = f"{param}@{key}" if key else param
        return None, text, LinkRef("shortcut", text)
    return None, anchor or "", None


# ------------------------------------------------------------------ images


def ac_image(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An ``ac:image`` with an attachment or URL source; a caption goes under it."""
    url = None
    name = ""
    caption = None
    for child in el:
        tag = child.tag
        if tag == RI + "attachment":
            name, container = attachment_target(r, child)
            url = attachment_url(r, name, container) if name else None
        elif tag == RI + "url":
            url = safe_url(child.get(RI + "value") or "")
            name = (url or "").rstrip("/").rsplit("/", 1)[-1]
        elif tag == AC + "caption":
            caption = child
    alt = el.get(AC + "alt") or el.get(AC + "title") or name
    if not url:
        r.col.fallback("image-without-source")
        if alt:
            buf.text(alt)
        return
    buf.link(image(alt, url))
    if caption is not None:
        outer = "*" in r.marks
        r.marks.add("*")
        try:
            text = r.inline_text(caption)
        finally:
            if not outer:
                r.marks.discard("*")
        if text:
            buf.brk()
            if outer:
                buf.literal(text)
            else:
                buf.wrapped("*", text)


def html_image(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An HTML ``img``."""
    src = safe_url(el.get("src") or "")
    alt = el.get("alt") or el.get("title") or ""
    if not src:
        if alt:
            buf.text(alt)
        return
    buf.link(image(alt, src))


def anchor(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An HTML ``a``: a link when it has a safe ``href``, its text otherwise."""
    href = el.get("href")
    url = safe_url(href.strip()) if href else None
    if not url or r.link_depth:
        r.inline(el, buf)
        return
    r.link_depth += 1
    try:
        lead, text, trail = r.inline_parts(el)
    finally:
        r.link_depth -= 1
    text = one_line(text)
    kind: LinkKind = "anchor" if url.startswith("#") else "url"
    r.col.links.append(LinkRef(kind, url, text))
    if lead:
        buf.space_()
    buf.link(link(text, url))
    if trail:
        buf.space_()


def attachment_link(r: Renderer, el: Element | None, filename: str = "") -> str:
    """``[file](url)`` for an ``ri:attachment`` element or a bare file name ("" if neither)."""
    container = None
    if el is not None:
        filename, container = attachment_target(r, el)
    elif filename:
        r.col.attachment(filename, None)
    if not filename:
        return ""
    url = attachment_url(r, filename, container)
    r.col.links.append(LinkRef("attachment", url, filename, filename=filename))
    return link(escape(filename), url)


def url_link(r: Renderer, url: str, text: str = "") -> str:
    """``[text](url)`` for an external URL ("" when the URL is empty or unsafe)."""
    safe = safe_url(url.strip())
    if not safe:
        return ""
    r.col.links.append(LinkRef("url", safe, text or safe))
    return link(escape(text) if text else "", safe)
