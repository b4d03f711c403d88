"""v1 space endpoints: ``/space``, ``/space/{key}``, ``/space/{key}/content[/{type}]``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator.http import (
    ApiError,
    Ctx,
    Endpoint,
    ok,
    v1_collection,
    v1_window,
)
from radex.confluence.emulator.model import Content, Space
from radex.confluence.emulator.render_v1 import content_v1, parse_expand, space_v1, with_base
from radex.confluence.emulator.routes_v1_common import READ_CONTENT, READ_SPACE


def _multi(ctx: Ctx, name: str) -> set[str]:
    return {p.strip() for v in ctx.params.getlist(name) for p in v.split(",") if p.strip()}


async def list_spaces(ctx: Ctx) -> Response:
    """GET /space: visible spaces sorted by key, filtered by key, id, type and status."""
    keys = _multi(ctx, "spaceKey")
    ids = _multi(ctx, "spaceId")
    type_ = ctx.params.get("type")
    if type_ not in (None, "", "global", "personal"):
        raise ApiError(400, f"Invalid space type: {type_}. Valid values: global, personal")
    status = ctx.params.get("status")
    if status not in (None, "", "current", "archived"):
        raise ApiError(400, f"Invalid space status: {status}. Valid values: current, archived")
    expand = parse_expand(ctx)
    spaces = sorted(
        (
            s
            for s in ctx.site.spaces.values()
            if ctx.site.can_view_space(ctx.user, s)
            and (not keys or s.key in keys)
            and (not ids or s.id in ids)
            and (not type_ or s.type == type_)
            and (not status or s.status == status)
        ),
        key=lambda s: s.key,
    )
    return ok(v1_collection(ctx, spaces, lambda s: space_v1(ctx, s, expand)))


async def get_space(ctx: Ctx) -> Response:
    """GET /space/{spaceKey}."""
    space = ctx.space(ctx.path_param("spaceKey"))
    return ok(with_base(ctx, space_v1(ctx, space, parse_expand(ctx))))


def _depth(ctx: Ctx) -> str:
    depth = ctx.params.get("depth") or "all"
    if depth not in ("all", "root"):
        raise ApiError(400, f"Invalid depth: {depth}. Valid values: all, root")
    return depth


def space_content(ctx: Ctx, space: Space, type_: str, depth: str) -> list[Content]:
    """Current pages or blog posts of a space the caller may read (roots only for depth=root)."""
    items = [
        c
        for c in ctx.site.content.values()
        if c.space_key == space.key
        and c.type == type_
        and c.status == "current"
        and ctx.site.can_read(ctx.user, c)
    ]
    if depth == "root" and type_ == "page":
        items = [c for c in items if c.parent_id is None]
    return sorted(items, key=lambda c: (len(c.id), c.id))


async def get_space_content(ctx: Ctx) -> Response:
    """GET /space/{spaceKey}/content: pages and blog posts, one ContentArray each."""
    space = ctx.space(ctx.path_param("spaceKey"))
    depth = _depth(ctx)
    expand = parse_expand(ctx)
    body: dict[str, Any] = {}
    for type_ in ("page", "blogpost"):
        items = space_content(ctx, space, type_, depth)
        body[type_] = _array(ctx, items, expand, f"/rest/api/space/{space.key}/content/{type_}")
    body["_links"] = {"base": ctx.root, "context": ctx.context}
    return ok(body)


def _array(ctx: Ctx, items: list[Content], expand: frozenset[str], path: str) -> dict[str, Any]:
    start, limit = v1_window(ctx)
    chunk = items[start : start + limit]
    links: dict[str, str] = {"self": f"{ctx.root}{path}"}
    if limit > 0 and start + limit < len(items):
        links["next"] = f"{path}?limit={limit}&start={start + limit}"
    return {
        "results": [content_v1(ctx, c, expand) for c in chunk],
        "start": start,
        "limit": limit,
        "size": len(chunk),
        "_links": links,
    }


async def get_space_content_by_type(ctx: Ctx) -> Response:
    """GET /space/{spaceKey}/content/{type}: one ContentArray (page or blogpost)."""
    space = ctx.space(ctx.path_param("spaceKey"))
    type_ = ctx.path_param("type")
    if type_ not in ("page", "blogpost"):
        raise ApiError(400, f"Invalid content type: {type_}. Valid values: page, blogpost")
    items = space_content(ctx, space, type_, _depth(ctx))
    expand = parse_expand(ctx)
    return ok(v1_collection(ctx, items, lambda c: content_v1(ctx, c, expand)))


async def space_permission_read(ctx: Ctx) -> Response:
    """GET /space/{spaceKey}/permission: 405, as Cloud answers live (read via expand=permissions).

    DC 9.1+ has a space-permission read API at an unverified path, so DC answers the same.
    """
    ctx.space(ctx.path_param("spaceKey"))
    raise ApiError(405, "Method Not Allowed", headers={"Allow": "POST"})


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/space", list_spaces, "v1", deprecated_read=True, scopes=READ_SPACE),
    Endpoint("GET", "/space/{spaceKey}", get_space, "v1", deprecated_read=True, scopes=READ_SPACE),
    Endpoint(
        "GET",
        "/space/{spaceKey}/content",
        get_space_content,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
    Endpoint(
        "GET",
        "/space/{spaceKey}/content/{type}",
        get_space_content_by_type,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
    Endpoint("GET", "/space/{spaceKey}/permission", space_permission_read, "v1", scopes=READ_SPACE),
]
