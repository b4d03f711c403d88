"""Bodies and file facts in v1 JSON: body representations, attachment extensions and bytes."""

from __future__ import annotations

import weakref
from typing import Any

from radex.confluence.emulator.files import render_attachment
from radex.confluence.emulator.http import Ctx, iso
from radex.confluence.emulator.model import Content, Site, Version
from radex.confluence.emulator.render_v2_body import storage_to_view

_BODY_REPS = (
    "editor",
    "view",
    "export_view",
    "styled_view",
    "storage",
    "editor2",
    "anonymous_export_view",
)


def extensions_v1(
    ctx: Ctx, content: Content, ver: Version, expand: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The ``extensions`` of content: position, comment location or attachment file facts
    (``expand``: below ``extensions``, e.g. ``resolution``)."""
    if content.type == "attachment":
        data = attachment_bytes(ctx.site, content, ver)
        ext: dict[str, Any] = {
            "mediaType": content.media_type,
            "fileSize": len(data),
            "comment": ver.message,
        }
        if ctx.site.flavor == "cloud":
            ext["mediaTypeDescription"] = _media_description(content.media_type)
            ext["fileId"] = _file_id(content, ver)
            ext["collectionName"] = f"contentId-{content.parent_id}"
        return ext
    if content.type == "comment":
        return comment_extensions_v1(content, expand)
    if ctx.site.flavor == "cloud":
        return {"position": content.position}
    return {"position": "none"}


def comment_extensions_v1(comment: Content, expand: frozenset[str]) -> dict[str, Any]:
    """A comment's location, inline properties (inline comments) and, when expanded, its
    resolution (the thread's status, dated by the comment's current version)."""
    ext: dict[str, Any] = {"location": comment.location}
    if comment.location == "inline":
        props = {"markerRef": comment.inline_ref or ""}
        if comment.inline_selection is not None:
            props["originalSelection"] = comment.inline_selection
        ext["inlineProperties"] = props
    expandable: dict[str, str] = {}
    if "resolution" in expand or any(e.startswith("resolution.") for e in expand):
        ext["resolution"] = {
            "status": comment.resolution,
            "lastModifiedDate": iso(comment.updated_at),
        }
    else:
        expandable["resolution"] = ""
    ext["_expandable"] = expandable
    return ext


def _media_description(media_type: str) -> str:
    known = {
        "application/pdf": "PDF Document",
        "image/png": "PNG Image",
        "text/plain": "Text File",
        "text/csv": "CSV File",
        "application/json": "JSON File",
    }
    if media_type in known:
        return known[media_type]
    if "wordprocessingml" in media_type:
        return "Microsoft Word Document"
    if "spreadsheetml" in media_type:
        return "Microsoft Excel Spreadsheet"
    if "presentationml" in media_type:
        return "Microsoft PowerPoint Presentation"
    return "File"


def _file_id(content: Content, ver: Version) -> str:
    digits = "".join(ch for ch in content.id if ch.isdigit()).rjust(12, "0")
    return f"{digits[:8]}-0000-4000-8000-{ver.number:04d}{digits[-8:]}"


def body_v1(ctx: Ctx, content: Content, ver: Version, expand: frozenset[str]) -> dict[str, Any]:
    """The ``body`` object: storage (verbatim) and the HTML views derived from it."""
    out: dict[str, Any] = {}
    wanted = {item.split(".", 1)[0] for item in expand}  # body.view.value names body.view
    for rep in _BODY_REPS:
        if rep not in wanted:
            continue
        if rep in ("storage", "editor", "editor2"):
            value = ver.body
        else:  # view uses site-relative links, the export views absolute ones
            base = ctx.context if rep == "view" else ctx.root
            value = storage_to_view(ver.body, ctx.site, content.space_key, base)
        out[rep] = {
            "value": value,
            "representation": rep,
            "embeddedContent": [],
            "_expandable": {"content": f"/rest/api/content/{content.id}"},
        }
    out["_expandable"] = {
        rep: f"/rest/api/content/{content.id}?expand=body.{rep}"
        for rep in _BODY_REPS
        if rep not in out
    }
    return out


def escape_html(text: str) -> str:
    """Escape &, < and > for HTML text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- attachment bytes ------------------------------------------------------------------------

_BYTES: weakref.WeakKeyDictionary[Site, dict[tuple[str, int], bytes]] = weakref.WeakKeyDictionary()


def attachment_bytes(site: Site, content: Content, ver: Version) -> bytes:
    """The bytes of one attachment version (given, or rendered once and cached per site)."""
    blob = ver.blob
    if blob is None:
        return b""
    if blob.data is not None:
        return blob.data
    cache = _BYTES.setdefault(site, {})
    key = (content.id, ver.number)
    if key not in cache:
        cache[key] = render_attachment(blob.kind, blob.title, blob.text)
    return cache[key]
