"""Classic REST v1 endpoints (Cloud ``/wiki/rest/api``, Data Center ``[/ctx]/rest/api``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator.http import Ctx, Endpoint, ok, v1_collection
from radex.confluence.emulator.model import Space


def space_v1(ctx: Ctx, space: Space) -> dict[str, Any]:
    """A v1 Space."""
    return {
        "id": int(space.id),
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "_expandable": {"description": "", "homepage": f"/rest/api/content/{space.homepage_id}"},
        "_links": {"webui": f"/spaces/{space.key}", "self": f"{ctx.root}/rest/api/space/{space.key}"},
    }


async def list_spaces(ctx: Ctx) -> Response:
    """GET /space."""
    spaces = sorted(
        (s for s in ctx.site.spaces.values() if ctx.site.can_view_space(ctx.user, s)),
        key=lambda s: s.key,
    )
    return ok(v1_collection(ctx, spaces, lambda s: space_v1(ctx, s)))


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/space", list_spaces, "v1", deprecated_read=True),
]
SITE_ENDPOINTS: list[Endpoint] = []
