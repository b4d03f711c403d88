"""v1 attachment endpoints: list, upload (POST new / PUT create-or-version), data, download.

Uploads need ``X-Atlassian-Token: nocheck`` (or ``no-check``), else 403 "XSRF check failed".
``…/download`` answers 302 in both flavours: Cloud really redirects (to its media service);
here the target is the site's own ``/download/attachments/{pageId}/{filename}`` URL, the one
``_links.download`` names and DC clients fetch directly, so a client that follows redirects
gets the bytes either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.files import kind_for_filename, media_type_for
from radex.confluence.emulator.http import (
    ApiError,
    Ctx,
    Endpoint,
    not_found_message,
    ok,
    query_int,
    v1_collection,
)
from radex.confluence.emulator.model import Content, Version
from radex.confluence.emulator.ops import OpError
from radex.confluence.emulator.render_v1 import (
    attachment_bytes,
    content_v1,
    download_path,
    parse_expand,
    visible_children,
    with_base,
)
from radex.confluence.emulator.routes_v1_common import (
    READ_ATTACHMENT,
    READ_CONTENT,
    WRITE_FILE,
    op_error,
)

ATTACHMENT_EXPAND = frozenset({"version", "container"})
_TOKENS = ("nocheck", "no-check")


def _container(ctx: Ctx) -> Content:
    return ctx.read(ctx.path_param("id"), statuses=("current", "archived", "draft"))


async def list_attachments(ctx: Ctx) -> Response:
    """GET /content/{id}/child/attachment: filter by filename and mediaType."""
    container = _container(ctx)
    filename = ctx.params.get("filename")
    media_type = ctx.params.get("mediaType")
    items = [
        a
        for a in visible_children(ctx, container, "attachment")
        if (not filename or a.title == filename) and (not media_type or a.media_type == media_type)
    ]
    expand = parse_expand(ctx, default=ATTACHMENT_EXPAND)
    return ok(v1_collection(ctx, items, lambda a: content_v1(ctx, a, expand)))


def _check_xsrf(ctx: Ctx) -> None:
    token = ctx.request.headers.get("x-atlassian-token", "").strip().lower()
    if token not in _TOKENS:
        raise ApiError(403, "XSRF check failed")


@dataclass(frozen=True)
class _Upload:
    """One file of a multipart upload, read into memory."""

    filename: str
    data: bytes
    media_type: str
    comment: str


async def _uploads(ctx: Ctx) -> tuple[list[_Upload], bool]:
    try:
        form = await ctx.request.form()
    except (AssertionError, ValueError, KeyError) as exc:
        raise ApiError(
            400, f"The request is not a valid multipart/form-data upload: {exc}"
        ) from None
    files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
    if not files:
        raise ApiError(400, "At least one attachment file must be included in the field 'file'")
    comments = [str(c) for c in form.getlist("comment")]
    minor = str(form.get("minorEdit") or "false").lower() == "true"
    out: list[_Upload] = []
    for i, upload in enumerate(files):
        name = upload.filename or ""
        declared = (upload.content_type or "").split(";")[0].strip()
        if not declared or declared == "application/octet-stream":
            declared = media_type_for(kind_for_filename(name))
        out.append(
            _Upload(name, await upload.read(), declared, comments[i] if i < len(comments) else "")
        )
    return out, minor


def _render_uploaded(ctx: Ctx, attachments: list[Content]) -> dict[str, Any]:
    return {
        "results": [content_v1(ctx, a, ATTACHMENT_EXPAND) for a in attachments],
        "size": len(attachments),
        "_links": {"base": ctx.root, "context": ctx.context},
    }


async def _store(ctx: Ctx, *, must_be_new: bool) -> Response:
    _check_xsrf(ctx)
    container = _container(ctx)
    uploads, minor = await _uploads(ctx)
    if must_be_new:
        taken = {a.title for a in ctx.site.children(container.id, "attachment")}
        for up in uploads:
            if up.filename in taken:
                raise ApiError(
                    400,
                    "Cannot add a new attachment with same file name as an existing attachment: "
                    f"{up.filename}",
                )
    stored: list[Content] = []
    try:
        for up in uploads:
            att, _ = ops.put_attachment(
                ctx.site,
                ctx.user,
                container,
                filename=up.filename,
                data=up.data,
                media_type=up.media_type,
                comment=up.comment,
                minor_edit=minor,
                must_be_new=must_be_new,
            )
            stored.append(att)
    except OpError as exc:
        raise op_error(ctx, exc) from None
    return ok(_render_uploaded(ctx, stored))


async def create_attachments(ctx: Ctx) -> Response:
    """POST /content/{id}/child/attachment: new files only (400 when the name exists)."""
    return await _store(ctx, must_be_new=True)


async def put_attachments(ctx: Ctx) -> Response:
    """PUT /content/{id}/child/attachment: create, or add a version to the same file name."""
    return await _store(ctx, must_be_new=False)


def _attachment(ctx: Ctx, container: Content) -> Content:
    att_id = ctx.path_param("attachmentId")
    att = ctx.site.content.get(att_id)
    if att is None or att.type != "attachment" or att.parent_id != container.id:
        raise ApiError(404, not_found_message(ctx, att_id))
    return ctx.read(att_id, statuses=("current",))


async def update_data(ctx: Ctx) -> Response:
    """POST /content/{id}/child/attachment/{attachmentId}/data: a new version of one file."""
    _check_xsrf(ctx)
    container = _container(ctx)
    att = _attachment(ctx, container)
    uploads, minor = await _uploads(ctx)
    if len(uploads) != 1:
        raise ApiError(400, "Exactly one file must be included to update attachment data")
    up = uploads[0]
    try:
        ops.put_attachment(
            ctx.site,
            ctx.user,
            container,
            filename=att.title,
            data=up.data,
            media_type=up.media_type,
            comment=up.comment,
            minor_edit=minor,
        )
    except OpError as exc:
        raise op_error(ctx, exc) from None
    return ok(with_base(ctx, content_v1(ctx, att, ATTACHMENT_EXPAND)))


def _version(ctx: Ctx, att: Content) -> Version:
    number = query_int(ctx, "version", att.version, minimum=1)
    ver = att.at_version(number)
    if ver is None:
        raise ApiError(404, f"No version {number} of attachment {att.id}")
    return ver


async def download_redirect(ctx: Ctx) -> Response:
    """GET /content/{id}/child/attachment/{attachmentId}/download → 302 to the file."""
    container = _container(ctx)
    att = _attachment(ctx, container)
    target = f"{ctx.root}{download_path(att, _version(ctx, att))}"
    return RedirectResponse(target, status_code=302)


async def download_file(ctx: Ctx) -> Response:
    """GET /download/attachments/{pageId}/{filename}: the bytes, typed by the media type."""
    page_id = ctx.path_param("pageId")
    filename = ctx.path_param("filename")
    att = next(
        (
            a
            for a in ctx.site.children(page_id, "attachment")
            if a.title == filename and a.status == "current"
        ),
        None,
    )
    if att is None or not ctx.site.can_read(ctx.user, att):
        raise ApiError(404, f"No attachment {filename} on content {page_id}")
    ver = _version(ctx, att)
    data = attachment_bytes(ctx.site, att, ver)
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(
        data,
        media_type=att.media_type or "application/octet-stream",
        headers={"Content-Disposition": disposition},
    )


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/content/{id}/child/attachment",
        list_attachments,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
    Endpoint("POST", "/content/{id}/child/attachment", create_attachments, "v1", scopes=WRITE_FILE),
    Endpoint("PUT", "/content/{id}/child/attachment", put_attachments, "v1", scopes=WRITE_FILE),
    Endpoint(
        "POST",
        "/content/{id}/child/attachment/{attachmentId}/data",
        update_data,
        "v1",
        scopes=WRITE_FILE,
    ),
    Endpoint(
        "GET",
        "/content/{id}/child/attachment/{attachmentId}/download",
        download_redirect,
        "v1",
        scopes=READ_ATTACHMENT,
    ),
]

SITE_ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/download/attachments/{pageId}/{filename}",
        download_file,
        "v1",
        scopes=READ_ATTACHMENT,
    ),
]
