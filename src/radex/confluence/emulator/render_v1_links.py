"""Link strings of the v1 API: web UI paths, tiny links, downloads and self links."""

from __future__ import annotations

import base64
import re
import struct
from typing import Any
from urllib.parse import quote, quote_plus

from radex.confluence.emulator.http import Ctx, epoch_ms
from radex.confluence.emulator.model import Content, Version

_DC_SAFE_TITLE = re.compile(r"^[A-Za-z0-9 _.,()'\-]+$")


def tiny_id(content_id: str) -> str:
    """Confluence's tiny-link key: the id as a little-endian long, base64 with trailing A's cut."""
    digits = "".join(ch for ch in content_id if ch.isdigit()) or "0"
    raw = base64.b64encode(struct.pack("<q", int(digits))).decode()
    return raw.rstrip("=").rstrip("A").replace("/", "-").replace("+", "_") or "A"


def webui(ctx: Ctx, content: Content, title: str | None = None) -> str:
    """The browser path of content, relative to the site base."""
    name = title if title is not None else content.title
    key = content.space_key
    cloud = ctx.site.flavor == "cloud"
    if content.type == "page" or content.type == "folder":
        if cloud:
            return f"/spaces/{key}/pages/{content.id}/{quote_plus(name)}"
        if _DC_SAFE_TITLE.fullmatch(name):
            return f"/display/{key}/{quote_plus(name)}"
        return f"/pages/viewpage.action?pageId={content.id}"
    if content.type == "blogpost":
        day = content.created_at.strftime("%Y/%m/%d")
        if cloud:
            return f"/spaces/{key}/blog/{day}/{content.id}/{quote_plus(name)}"
        return f"/display/{key}/{day}/{quote_plus(name)}"
    container = ctx.site.content.get(content.parent_id or "")
    if content.type == "comment" and container is not None:
        return f"{webui(ctx, container)}?focusedCommentId={content.id}#comment-{content.id}"
    if content.type == "attachment" and container is not None:
        return (
            f"/pages/viewpageattachments.action?pageId={container.id}"
            f"&preview=/{container.id}/{content.id}/{quote(content.title)}"
        )
    return f"/pages/viewpage.action?pageId={content.id}"


def download_path(content: Content, version: Version) -> str:
    """``_links.download`` of an attachment version, relative to the site base."""
    return (
        f"/download/attachments/{content.parent_id}/{quote(content.title)}"
        f"?version={version.number}&modificationDate={epoch_ms(version.when)}&api=v2"
    )


def api_self(ctx: Ctx, path: str) -> str:
    """An absolute self link for a path below ``/rest/api``."""
    return f"{ctx.root}/rest/api{path}"


def with_base(ctx: Ctx, body: dict[str, Any], collection: str | None = None) -> dict[str, Any]:
    """Add the top-level ``base``/``context`` (and ``collection``) links of a single object."""
    links = body.setdefault("_links", {})
    links["base"] = ctx.root
    links["context"] = ctx.context
    if collection is not None:
        links["collection"] = collection
    return body


def static_root(ctx: Ctx) -> str:
    """Where static images live relative to the host: ``/wiki`` on Cloud, the context on DC."""
    return "/wiki" if ctx.site.flavor == "cloud" else ctx.config.context_path.rstrip("/")
