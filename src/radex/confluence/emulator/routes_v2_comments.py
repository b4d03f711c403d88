"""Cloud v2 footer and inline comments: list per page or blog post, one comment, replies,
create (footer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, epoch_ms, ok, v2_page
from radex.confluence.emulator.model import RESOLUTIONS, CommentLocation, Content, ContentType
from radex.confluence.emulator.render_v2 import (
    body_v2,
    comment_v2,
    inline_comment_v2,
    operations_v2,
    optional_field,
    version_v2,
)
from radex.confluence.emulator.routes_v2_pages import read_typed, visible
from radex.confluence.emulator.routes_v2_params import (
    BodyFormat,
    body_format,
    body_value,
    enum_param,
    include,
    listed,
    op_error,
    path_id,
    positive_int,
    statuses,
    wrong_type,
)

READ_COMMENT = ("read:comment:confluence",)
WRITE_COMMENT = ("write:comment:confluence",)
COMMENT_SORTS = ("created-date", "-created-date", "modified-date", "-modified-date")
COMMENT_STATUSES: tuple[str, ...] = (
    "current",
    "archived",
    "trashed",
    "deleted",
    "historical",
    "draft",
)
BLOG_INLINE_STATUSES: tuple[str, ...] = ("current", "deleted", "trashed", "historical", "draft")


def comment_key(sort: str) -> Any:
    """The keyset sort key for comments."""
    sign = -1 if sort.startswith("-") else 1
    if sort.lstrip("-") == "modified-date":
        return lambda c: [sign * epoch_ms(c.updated_at), sign * int(c.id)]
    return lambda c: [sign * epoch_ms(c.created_at), sign * int(c.id)]


def _render(
    ctx: Ctx, location: CommentLocation, fmt: BodyFormat | None, *, single: bool = False
) -> Callable[[Content], dict[str, Any]]:
    draw = inline_comment_v2 if location == "inline" else comment_v2
    return lambda c: draw(ctx, c, fmt, single=single)


def _resolutions(ctx: Ctx) -> tuple[str, ...]:
    """The ``resolution-status`` filter (repeated or comma separated; all when absent)."""
    values = listed(ctx, "resolution-status")
    for value in values:
        if value not in RESOLUTIONS:
            raise wrong_type("resolution-status", value, "InlineCommentResolutionStatus")
    return tuple(values) if values else RESOLUTIONS


def _comment_list(
    ctx: Ctx,
    comments: list[Content],
    location: CommentLocation,
    allowed: tuple[str, ...] | None,
) -> Response:
    """One page of comments; ``allowed``: the ``status`` values the endpoint takes (None: no
    ``status`` parameter, current comments only)."""
    fmt = body_format(ctx, single=False)
    wanted = statuses(ctx, allowed, ("current",)) if allowed else ("current",)
    sort = enum_param(ctx, "sort", COMMENT_SORTS, "CommentSortOrder", "created-date")
    resolved = _resolutions(ctx) if location == "inline" and allowed else RESOLUTIONS
    items = [
        c for c in comments if c.status in wanted and c.resolution in resolved and visible(ctx, c)
    ]
    return v2_page(
        ctx,
        items,
        sort_key=comment_key(sort or "created-date"),
        render=_render(ctx, location, fmt),
    )


def _container_comments(ctx: Ctx, type_: ContentType, location: CommentLocation) -> Response:
    container = read_typed(ctx, path_id(ctx), (type_,), ("current", "archived"))
    top = [
        c
        for c in ctx.site.children(container.id, "comment")
        if c.parent_comment_id is None and c.location == location
    ]
    blog_inline = location == "inline" and type_ == "blogpost"
    return _comment_list(
        ctx, top, location, BLOG_INLINE_STATUSES if blog_inline else COMMENT_STATUSES
    )


async def page_comments(ctx: Ctx) -> Response:
    """GET /pages/{id}/footer-comments (top-level comments)."""
    return _container_comments(ctx, "page", "footer")


async def blogpost_comments(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/footer-comments."""
    return _container_comments(ctx, "blogpost", "footer")


async def page_inline_comments(ctx: Ctx) -> Response:
    """GET /pages/{id}/inline-comments (top-level inline comments)."""
    return _container_comments(ctx, "page", "inline")


async def blogpost_inline_comments(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/inline-comments."""
    return _container_comments(ctx, "blogpost", "inline")


def _comment(ctx: Ctx, name: str, location: CommentLocation) -> Content:
    """A readable current comment of this location, else 404 (inline ones are no footer
    comments, and the other way round)."""
    comment = read_typed(ctx, path_id(ctx, name), ("comment",), ("current",))
    if comment.location != location:
        raise ApiError(404, "Not Found")
    return comment


def _single(ctx: Ctx, location: CommentLocation) -> Response:
    fmt = body_format(ctx, single=True)
    number = positive_int(ctx, "version")
    comment = _comment(ctx, "comment_id", location)
    if number is not None and comment.at_version(number) is None:
        raise ApiError(404, "Not Found")
    body = _render(ctx, location, fmt, single=True)(comment)
    if number is not None:
        ver = comment.at_version(number)
        assert ver is not None
        body["version"] = version_v2(ctx.site, ver)
        body["body"] = body_v2(ctx, comment, ver.body, fmt)
    if not include(ctx, "version", True):
        body.pop("version")
    base = f"/{location}-comments/{comment.id}"
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
            block = optional_field(ctx, [], dict, f"{base}/{name}", lambda _: [0])
            body[name] = {**block, **body.get(name, {})}  # inline: marker ref and selection
    return ok(body)


async def get_comment(ctx: Ctx) -> Response:
    """GET /footer-comments/{comment-id}."""
    return _single(ctx, "footer")


async def get_inline_comment(ctx: Ctx) -> Response:
    """GET /inline-comments/{comment-id}."""
    return _single(ctx, "inline")


def _replies(ctx: Ctx, location: CommentLocation) -> Response:
    parent = _comment(ctx, "id", location)
    container = parent.parent_id or ""
    replies = [
        c for c in ctx.site.children(container, "comment") if c.parent_comment_id == parent.id
    ]
    return _comment_list(ctx, replies, location, None)


async def comment_children(ctx: Ctx) -> Response:
    """GET /footer-comments/{id}/children (replies)."""
    return _replies(ctx, "footer")


async def inline_comment_children(ctx: Ctx) -> Response:
    """GET /inline-comments/{id}/children (replies)."""
    return _replies(ctx, "inline")


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
    if target.type == "comment" and target.location != "footer":
        raise ApiError(404, "Not Found")  # an inline thread takes no footer replies
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
    Endpoint("GET", "/pages/{id}/inline-comments", page_inline_comments, "v2", scopes=READ_COMMENT),
    Endpoint(
        "GET",
        "/blogposts/{id}/inline-comments",
        blogpost_inline_comments,
        "v2",
        scopes=READ_COMMENT,
    ),
    Endpoint("GET", "/inline-comments/{comment_id}", get_inline_comment, "v2", scopes=READ_COMMENT),
    Endpoint(
        "GET",
        "/inline-comments/{id}/children",
        inline_comment_children,
        "v2",
        scopes=READ_COMMENT,
    ),
]
