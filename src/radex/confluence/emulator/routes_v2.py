"""Cloud REST v2 endpoints (``/wiki/api/v2``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator.http import Ctx, Endpoint, iso, v2_page
from radex.confluence.emulator.model import Space


def space_v2(ctx: Ctx, space: Space) -> dict[str, Any]:
    """A v2 SpaceBulk."""
    return {
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "authorId": ctx.site.users[space.author].account_id if space.author in ctx.site.users else "",
        "createdAt": iso(space.created_at),
        "homepageId": space.homepage_id,
        "description": None,
        "icon": None,
        "_links": {"webui": f"/spaces/{space.key}"},
    }


async def list_spaces(ctx: Ctx) -> Response:
    """GET /spaces."""
    keys = set(",".join(ctx.params.getlist("keys")).split(",")) - {""}
    spaces = [
        s
        for s in ctx.site.spaces.values()
        if ctx.site.can_view_space(ctx.user, s) and (not keys or s.key in keys)
    ]
    return v2_page(ctx, spaces, sort_key=lambda s: [int(s.id)], render=lambda s: space_v2(ctx, s))


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/spaces", list_spaces, "v2", scopes=("read:space:confluence",)),
]
