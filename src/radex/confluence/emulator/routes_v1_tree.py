"""v1 hierarchy endpoints: ``/content/{id}/child[/{type}]`` and ``/content/{id}/descendant``."""

from __future__ import annotations

from starlette.responses import Response

from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, ok, v1_collection
from radex.confluence.emulator.model import Content
from radex.confluence.emulator.render_v1 import (
    children_v1,
    content_v1,
    descendant_items,
    descendants_v1,
    parse_expand,
    visible_children,
    with_base,
)
from radex.confluence.emulator.routes_v1_common import READ_CONTENT

_TYPES = ("page", "comment", "attachment")


def _container(ctx: Ctx) -> Content:
    return ctx.read(ctx.path_param("id"), statuses=("current", "archived"))


def _type(ctx: Ctx) -> str:
    type_ = ctx.path_param("type")
    if type_ not in _TYPES:
        raise ApiError(400, f"Invalid child type: {type_}. Valid values: {', '.join(_TYPES)}")
    return type_


async def get_children(ctx: Ctx) -> Response:
    """GET /content/{id}/child: the page/comment/attachment buckets named in ``expand``."""
    content = _container(ctx)
    return ok(with_base(ctx, children_v1(ctx, content, parse_expand(ctx))))


def _in_locations(comment: Content, locations: set[str]) -> bool:
    """``footer``, ``inline`` (any resolution) or ``resolved`` (resolved inline comments)."""
    if comment.location == "footer":
        return "footer" in locations
    return "inline" in locations or ("resolved" in locations and comment.resolution == "resolved")


def comments(ctx: Ctx, content: Content) -> list[Content]:
    """Comments of content in the asked-for ``location`` values (repeated or comma separated,
    the union; all when absent): top level only, or every reply too with ``depth=all``."""
    location = {p.strip() for v in ctx.params.getlist("location") for p in v.split(",")} - {""}
    depth = ctx.params.get("depth") or ""
    if depth not in ("", "root", "all"):
        raise ApiError(400, f"Invalid depth: {depth}. Valid values: all, root")
    found = visible_children(ctx, content, "comment")
    if location:
        found = [c for c in found if _in_locations(c, location)]
    if depth != "all":
        found = [c for c in found if c.parent_comment_id is None]
    return found


async def get_children_of_type(ctx: Ctx) -> Response:
    """GET /content/{id}/child/{type} (page or comment; attachments have their own module)."""
    content = _container(ctx)
    type_ = _type(ctx)
    items = comments(ctx, content) if type_ == "comment" else visible_children(ctx, content, type_)
    expand = parse_expand(ctx)
    return ok(v1_collection(ctx, items, lambda c: content_v1(ctx, c, expand)))


async def get_descendants(ctx: Ctx) -> Response:
    """GET /content/{id}/descendant: the buckets named in ``expand``."""
    content = _container(ctx)
    return ok(with_base(ctx, descendants_v1(ctx, content, parse_expand(ctx))))


def _max_depth(ctx: Ctx) -> int | None:
    depth = ctx.params.get("depth") or "all"
    if depth == "all":
        return None
    if depth == "root":
        return 1
    if depth.isdigit() and 1 <= int(depth) <= 100:
        return int(depth)
    raise ApiError(400, f"Invalid depth: {depth}. Use all, root or a number from 1 to 100")


async def get_descendants_of_type(ctx: Ctx) -> Response:
    """GET /content/{id}/descendant/{type}: depth=all|root|1..100, depth first."""
    content = _container(ctx)
    type_ = _type(ctx)
    items = descendant_items(ctx, content, type_, max_depth=_max_depth(ctx))
    expand = parse_expand(ctx)
    return ok(v1_collection(ctx, items, lambda c: content_v1(ctx, c, expand)))


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET", "/content/{id}/child", get_children, "v1", deprecated_read=True, scopes=READ_CONTENT
    ),
    Endpoint(
        "GET",
        "/content/{id}/child/{type}",
        get_children_of_type,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
    Endpoint(
        "GET",
        "/content/{id}/descendant",
        get_descendants,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
    Endpoint(
        "GET",
        "/content/{id}/descendant/{type}",
        get_descendants_of_type,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
]
