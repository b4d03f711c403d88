"""Cloud v2 footer comments: list per page or blog post, one comment, replies, create."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, epoch_ms, ok, v2_page
from radex.confluence.emulator.model import Content, ContentType
from radex.confluence.emulator.render_v2 import (
    body_v2,
    comment_v2,
    operations_v2,
    optional_field,
    version_v2,
)
from radex.confluence.emulator.routes_v2_pages import read_typed, visible
from radex.confluence.emulator.routes_v2_params import (
    body_format,
    body_value,
    enum_param,
    include,
    op_error,
    path_id,
    positive_int,
    statuses,
)

READ_COMMENT = ("read:comment:confluence",)
WRITE_COMMENT = ("write:comment:confluence",)
COMMENT_SORTS = ("created-date", "-created-date", "modified-date", "-modified-date")
COMMENT_STATUSES = ("current", "archived", "trashed", "deleted", "historical", "draft")


def comment_key(sort: str) -> Any:
    """The keyset sort key for comments."""
    sign = -1 if sort.startswith("-") else 1
    if sort.lstrip("-") == "modified-date":
        return lambda c: [sign * epoch_ms(c.updated_at), sign * int(c.id)]
    return lambda c: [sign * epoch_ms(c.created_at), sign * int(c.id)]


def _comment_list(ctx: Ctx, comments: list[Content], *, with_status: bool) -> Response:
    fmt = body_format(ctx, single=False)
    wanted = statuses(ctx, COMMENT_STATUSES, ("current",)) if with_status else ("current",)
    sort = enum_param(ctx, "sort", COMMENT_SORTS, "CommentSortOrder", "created-date")
    items = [c for c in comments if c.status in wanted and visible(ctx, c)]
    return v2_page(
        ctx,
        items,
        sort_key=comment_key(sort or "created-date"),
        render=lambda c: comment_v2(ctx, c, fmt),
    )


def _container_comments(ctx: Ctx, type_: ContentType) -> Response:
    container = read_typed(ctx, path_id(ctx), (type_,), ("current", "archived"))
    top = [c for c in ctx.site.children(container.id, "comment") if c.parent_comment_id is None]
    return _comment_list(ctx, top, with_status=True)


async def page_comments(ctx: Ctx) -> Response:
    """GET /pages/{id}/footer-comments (top-level comments)."""
    return _container_comments(ctx, "page")


async def blogpost_comments(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/footer-comments."""
    return _container_comments(ctx, "blogpost")


def _comment(ctx: Ctx, name: str) -> Content:
    return read_typed(ctx, path_id(ctx, name), ("comment",), ("current",))


async def get_comment(ctx: Ctx) -> Response:
    """GET /footer-comments/{comment-id}."""
    fmt = body_format(ctx, single=True)
    number = positive_int(ctx, "version")
    comment = _comment(ctx, "comment_id")
    if number is not None and comment.at_version(number) is None:
        raise ApiError(404, "Not Found")
    body = comment_v2(ctx, comment, fmt, single=True)
    if number is not None:
        ver = comment.at_version(number)
        assert ver is not None
        body["version"] = version_v2(ctx.site, ver)
        body["body"] = body_v2(ctx, comment, ver.body, fmt)
    if not include(ctx, "version", True):
        body.pop("version")
    base = f"/footer-comments/{comment.id}"
    if include(ctx, "versions"):
        body["versions"] = optional_field(
            ctx,
            comment.versions,
            lambda v: version_v2(ctx.site, v),
            f"{base}/versions",
            lambda v: [-v.number],
        )
    if include(ctx, "operations"):
        body["operations"] = optional_field(
            ctx,
            operations_v2(ctx.site, ctx.user, comment),
            dict,
            f"{base}/operations",
            lambda o: [o["operation"], o["targetType"]],
        )
    for name in ("properties", "likes"):
        if include(ctx, name):
            body[name] = optional_field(ctx, [], dict, f"{base}/{name}", lambda _: [0])
    return ok(body)


async def comment_children(ctx: Ctx) -> Response:
    """GET /footer-comments/{id}/children (replies)."""
    parent = _comment(ctx, "id")
    container = parent.parent_id or ""
    replies = [
        c for c in ctx.site.children(container, "comment") if c.parent_comment_id == parent.id
    ]
    return _comment_list(ctx, replies, with_status=False)


async def create_comment(ctx: Ctx) -> Response:
    """POST /footer-comments (201): on a page, a blog post, or as a reply."""
    data = await ctx.json_body()
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object")
    targets = [k for k in ("pageId", "blogPostId", "parentCommentId") if data.get(k) is not None]
    if "attachmentId" in data or "customContentId" in data:
        raise ApiError(400, "Comments on attachments or custom content are not supported here")
    if len(targets) != 1:
        raise ApiError(400, "Exactly one of pageId, blogPostId or parentCommentId is required")
    key = targets[0]
    raw_id = str(data[key])
    if not raw_id.isdigit():
        raise ApiError(400, f"Provided value {{{raw_id}}} for '{key}' is not the correct type.")
    type_: ContentType = {"pageId": "page", "blogPostId": "blogpost"}.get(key, "comment")  # type: ignore[assignment]
    target = read_typed(ctx, str(int(raw_id)), (type_,), ("current",))
    parsed = body_value(data.get("body"))
    if parsed is None:
        raise ApiError(400, "body is required")
    if parsed[0] != "storage":
        raise ApiError(400, f"Body representation '{parsed[0]}' cannot be stored; use storage")
    try:
        comment = ops.create_content(
            ctx.site,
            ctx.user,
            type_="comment",
            space_key=target.space_key,
            title="",
            body=parsed[1],
            container_id=target.id,
        )
    except ops.OpError as exc:
        raise op_error(exc) from None
    return ok(comment_v2(ctx, comment, "storage", single=True), status=201)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/pages/{id}/footer-comments", page_comments, "v2", scopes=READ_COMMENT),
    Endpoint(
        "GET", "/blogposts/{id}/footer-comments", blogpost_comments, "v2", scopes=READ_COMMENT
    ),
    Endpoint("GET", "/footer-comments/{comment_id}", get_comment, "v2", scopes=READ_COMMENT),
    Endpoint("GET", "/footer-comments/{id}/children", comment_children, "v2", scopes=READ_COMMENT),
    Endpoint("POST", "/footer-comments", create_comment, "v2", scopes=WRITE_COMMENT),
]
