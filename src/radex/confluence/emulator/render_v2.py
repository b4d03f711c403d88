"""Cloud v2 JSON shapes: pages, blog posts, folders, comments, attachments, versions, users."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

from radex.confluence.emulator.files import kind_for_filename, render_attachment
from radex.confluence.emulator.http import Ctx, encode_cursor, epoch_ms, iso
from radex.confluence.emulator.model import Content, Label, Site, User, Version
from radex.confluence.emulator.render_v2_adf import storage_to_adf
from radex.confluence.emulator.render_v2_body import storage_to_view
from radex.confluence.emulator.routes_v2_params import BodyFormat

T = TypeVar("T")
OPTIONAL_FIELD_LIMIT = 50

_MEDIA_DESCRIPTIONS = {
    "pdf": "PDF Document",
    "docx": "Microsoft Word Document",
    "xlsx": "Microsoft Excel Spreadsheet",
    "pptx": "Microsoft PowerPoint Presentation",
    "png": "PNG Image",
    "txt": "Text File",
    "csv": "CSV File",
    "md": "Markdown File",
    "json": "JSON File",
}


def account_id(site: Site, username: str) -> str:
    """The accountId of a fixture username ("" for someone the site does not know)."""
    user = site.users.get(username) or site.find_user(username)
    return user.account_id if user else ""


def tiny_id(content_id: str) -> str:
    """Confluence's tiny-link code: the id's little-endian bytes in URL-safe base64."""
    digits = "".join(ch for ch in content_id if ch.isdigit()) or "0"
    number = int(digits)
    raw = number.to_bytes(8 if number >= 2**32 else 4, "little")
    return (
        base64.b64encode(raw).decode().rstrip("=").rstrip("A").replace("/", "-").replace("+", "_")
    )


def version_v2(site: Site, version: Version) -> dict[str, Any]:
    """A v2 Version."""
    return {
        "createdAt": iso(version.when),
        "message": version.message,
        "number": version.number,
        "minorEdit": version.minor_edit,
        "authorId": account_id(site, version.author),
    }


def body_v2(ctx: Ctx, content: Content, body: str, fmt: BodyFormat | None) -> dict[str, Any]:
    """The ``body`` object for one representation (empty when none was asked for)."""
    if fmt is None:
        return {}
    if fmt == "storage":
        value = body
    elif fmt == "atlas_doc_format":
        adf = storage_to_adf(body, ctx.site, content.space_key)
        value = json.dumps(adf, separators=(",", ":"))
    else:
        base = ctx.context if fmt == "view" else ctx.root
        value = storage_to_view(body, ctx.site, content.space_key, base)
    return {fmt: {"representation": fmt, "value": value}}


def content_webui(site: Site, content: Content, title: str | None = None) -> str:
    """The site-relative web UI path of a page, blog post or folder."""
    key = content.space_key
    slug = quote_plus(title if title is not None else content.title)
    if content.type == "blogpost":
        return f"/spaces/{key}/blog/{content.created_at:%Y/%m/%d}/{content.id}/{slug}"
    if content.type == "folder":
        return f"/spaces/{key}/folder/{content.id}"
    return f"/spaces/{key}/pages/{content.id}/{slug}"


def _page_links(ctx: Ctx, content: Content, title: str, single: bool) -> dict[str, str]:
    links = {
        "webui": content_webui(ctx.site, content, title),
        "editui": f"/pages/resumedraft.action?draftId={content.id}",
        "tinyui": f"/x/{tiny_id(content.id)}",
    }
    if single:
        links["base"] = ctx.root
    return links


def page_v2(
    ctx: Ctx,
    content: Content,
    *,
    fmt: BodyFormat | None = None,
    version: Version | None = None,
    single: bool = False,
    include_version: bool = True,
) -> dict[str, Any]:
    """A PageBulk/PageSingle or BlogPostBulk/BlogPostSingle (at ``version``, default current)."""
    site = ctx.site
    ver = version or content.current
    status = "historical" if ver.number != content.version else content.status
    body: dict[str, Any] = {
        "id": content.id,
        "status": status,
        "title": ver.title,
        "spaceId": site.spaces[content.space_key].id,
    }
    if content.type == "page":
        parent = site.content.get(content.parent_id or "")
        if parent is not None:
            body["parentId"] = parent.id
            body["parentType"] = parent.type
        body["position"] = content.position
    body["authorId"] = account_id(site, content.author)
    if content.type == "page":
        body["ownerId"] = account_id(site, content.author)
        body["lastOwnerId"] = None
    body["createdAt"] = iso(content.created_at)
    if include_version:
        body["version"] = version_v2(site, ver)
    body["body"] = body_v2(ctx, content, ver.body, fmt)
    body["_links"] = _page_links(ctx, content, ver.title, single)
    return body


def folder_v2(ctx: Ctx, folder: Content, *, single: bool = False) -> dict[str, Any]:
    """A FolderSingle."""
    site = ctx.site
    body: dict[str, Any] = {"id": folder.id, "type": "folder", "status": folder.status}
    body["title"] = folder.title
    parent = site.content.get(folder.parent_id or "")
    if parent is not None:
        body["parentId"] = parent.id
        body["parentType"] = parent.type
    body["position"] = folder.position
    body["authorId"] = account_id(site, folder.author)
    body["ownerId"] = account_id(site, folder.author)
    body["createdAt"] = iso(folder.created_at)
    body["spaceId"] = site.spaces[folder.space_key].id
    body["version"] = version_v2(site, folder.current)
    body["_links"] = {"webui": content_webui(site, folder)}
    if single:
        body["_links"]["base"] = ctx.root
    return body


def child_v2(ctx: Ctx, content: Content, *, typed: bool) -> dict[str, Any]:
    """A ChildrenResponse (``typed``) or a legacy ChildPage."""
    body: dict[str, Any] = {"id": content.id, "status": content.status, "title": content.title}
    if typed:
        body["type"] = content.type
    body["spaceId"] = ctx.site.spaces[content.space_key].id
    body["childPosition"] = content.position
    return body


def descendant_v2(content: Content, depth: int) -> dict[str, Any]:
    """A DescendantsResponse."""
    return {
        "id": content.id,
        "status": content.status,
        "title": content.title,
        "type": content.type,
        "parentId": content.parent_id,
        "depth": depth,
        "childPosition": content.position,
    }


def comment_v2(
    ctx: Ctx, comment: Content, fmt: BodyFormat | None, *, single: bool = False
) -> dict[str, Any]:
    """A footer comment: PageCommentModel, BlogPostCommentModel, ChildrenCommentModel or
    (``single``) FooterCommentModel, depending on what the caller asked for (inline comments
    start from it too)."""
    site = ctx.site
    container = site.content[comment.parent_id or ""]
    body: dict[str, Any] = {"id": comment.id, "status": comment.status, "title": comment.title}
    if single or comment.parent_comment_id is None:
        key = "pageId" if container.type == "page" else "blogPostId"
        body[key] = container.id
    if comment.parent_comment_id is not None:
        body["parentCommentId"] = comment.parent_comment_id
    body["version"] = version_v2(site, comment.current)
    body["body"] = body_v2(ctx, comment, comment.body, fmt)
    webui = content_webui(site, container)
    body["_links"] = {"webui": f"{webui}?focusedCommentId={comment.id}#comment-{comment.id}"}
    if single:
        body["_links"]["base"] = ctx.root
    return body


def inline_properties_v2(comment: Content) -> dict[str, str]:
    """InlineCommentProperties: the marker ref and (thread roots) the highlighted text."""
    props = {"inlineMarkerRef": comment.inline_ref or ""}
    if comment.inline_selection is not None:
        props["inlineOriginalSelection"] = comment.inline_selection
    return props


def inline_comment_v2(
    ctx: Ctx, comment: Content, fmt: BodyFormat | None, *, single: bool = False
) -> dict[str, Any]:
    """An inline comment: PageInlineCommentModel, BlogPostInlineCommentModel,
    InlineCommentChildrenModel or (``single``) InlineCommentModel."""
    body = comment_v2(ctx, comment, fmt, single=single)
    links = body.pop("_links")
    if single and comment.resolution in ("resolved", "reopened"):
        body["resolutionLastModifierId"] = account_id(ctx.site, comment.current.author)
        body["resolutionLastModifiedAt"] = iso(comment.updated_at)
    body["resolutionStatus"] = comment.resolution
    body["properties"] = inline_properties_v2(comment)
    body["_links"] = links
    return body


def label_v2(label: Label) -> dict[str, Any]:
    """A Label."""
    return {"id": label.id, "name": label.name, "prefix": label.prefix}


def label_key(label: Label) -> list[Any]:
    """The keyset order of labels (by id)."""
    return [int(label.id), label.name]


@lru_cache(maxsize=4096)
def _rendered_size(kind: str, title: str, text: str) -> int:
    return len(render_attachment(kind, title, text))


def attachment_size(version: Version) -> int:
    """The byte size of one attachment version."""
    blob = version.blob
    if blob is None:
        return 0
    if blob.data is not None:
        return len(blob.data)
    return _rendered_size(blob.kind, blob.title, blob.text)


def download_path(attachment: Content, version: Version | None = None) -> str:
    """The site-relative download link of an attachment version."""
    ver = version or attachment.current
    return (
        f"/download/attachments/{attachment.parent_id}/{quote(ver.title)}"
        f"?version={ver.number}&modificationDate={epoch_ms(ver.when)}&api=v2"
    )


def _file_id(attachment: Content, version: Version) -> str:
    h = hashlib.sha256(f"file:{attachment.id}:{version.number}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def attachment_v2(
    ctx: Ctx, attachment: Content, *, version: Version | None = None, single: bool = False
) -> dict[str, Any]:
    """An AttachmentBulk/AttachmentSingle."""
    site = ctx.site
    ver = version or attachment.current
    container = site.content[attachment.parent_id or ""]
    digits = attachment.id.removeprefix("att")
    webui = (
        f"/pages/viewpageattachments.action?pageId={container.id}"
        f"&preview={quote(f'/{container.id}/{digits}/{ver.title}', safe='')}"
    )
    download = download_path(attachment, ver)
    body: dict[str, Any] = {
        "id": attachment.id,
        "status": "historical" if ver.number != attachment.version else attachment.status,
        "title": ver.title,
        "createdAt": iso(attachment.created_at),
        ("pageId" if container.type == "page" else "blogPostId"): container.id,
        "mediaType": attachment.media_type,
        "mediaTypeDescription": _MEDIA_DESCRIPTIONS.get(kind_for_filename(ver.title), "File"),
        "comment": ver.message,
        "fileId": _file_id(attachment, ver),
        "fileSize": attachment_size(ver),
        "webuiLink": webui,
        "downloadLink": download,
        "version": version_v2(site, ver),
        "_links": {"webui": webui, "download": download},
    }
    if single:
        body["_links"]["base"] = ctx.root
    return body


def content_version_v2(
    ctx: Ctx, content: Content, version: Version, fmt: BodyFormat | None
) -> dict[str, Any]:
    """A PageVersion / BlogPostVersion (a version with the versioned entity)."""
    body = version_v2(ctx.site, version)
    entity: dict[str, Any] = {"id": content.id, "title": version.title}
    if fmt is not None:
        entity["body"] = body_v2(ctx, content, version.body, fmt)
    body["page" if content.type == "page" else "blogpost"] = entity
    return body


def detailed_version_v2(site: Site, content: Content, version: Version) -> dict[str, Any]:
    """A DetailedVersion."""
    body: dict[str, Any] = {
        "number": version.number,
        "authorId": account_id(site, version.author),
        "message": version.message,
        "createdAt": iso(version.when),
        "minorEdit": version.minor_edit,
        "contentTypeModified": False,
        "collaborators": [account_id(site, version.author)],
    }
    if version.number > 1:
        body["prevVersion"] = version.number - 1
    if version.number < content.version:
        body["nextVersion"] = version.number + 1
    return body


def user_v2(site: Site, user: User) -> dict[str, Any]:
    """A Cloud User."""
    personal = site.spaces.get(f"~{user.username}") or site.spaces.get(f"~{user.account_id}")
    body: dict[str, Any] = {
        "accountId": user.account_id,
        "accountType": user.account_type,
        "accountStatus": "active" if user.active else "inactive",
        "email": user.email,
        "publicName": user.display_name,
        "displayName": user.display_name,
        "timeZone": "Etc/UTC",
        "isExternalCollaborator": False,
        "profilePicture": {"path": f"/wiki/aa-avatar/{user.account_id}", "isDefault": False},
    }
    if personal is not None:
        body["personalSpaceId"] = personal.id
    return body


def operations_v2(site: Site, user: User | None, content: Content) -> list[dict[str, str]]:
    """What the caller may do with content (read always; update and delete with edit rights)."""
    target = content.type
    ops = [{"operation": "read", "targetType": target}]
    if site.can_update(user, content):
        ops += [
            {"operation": "update", "targetType": target},
            {"operation": "delete", "targetType": target},
        ]
        if content.type in ("page", "blogpost"):
            ops.append({"operation": "create", "targetType": "comment"})
            ops.append({"operation": "create", "targetType": "attachment"})
    return ops


def optional_field(
    ctx: Ctx,
    items: Sequence[T],
    render: Callable[[T], Any],
    self_path: str,
    sort_key: Callable[[T], Sequence[Any]],
) -> dict[str, Any]:
    """An ``include-*`` block: at most 50 results, ``meta{hasMore,cursor}``, ``_links.self``."""
    ordered = sorted(items, key=lambda it: list(sort_key(it)))
    chunk = ordered[:OPTIONAL_FIELD_LIMIT]
    meta: dict[str, Any] = {"hasMore": len(ordered) > OPTIONAL_FIELD_LIMIT}
    if meta["hasMore"]:
        meta["cursor"] = encode_cursor(sort_key(chunk[-1]))
    return {
        "results": [render(it) for it in chunk],
        "meta": meta,
        "_links": {"self": f"{ctx.context}/api/v2{self_path}"},
    }
