"""Cloud REST v2 endpoints (``/wiki/api/v2``): spaces here, the rest in ``routes_v2_*``."""

from __future__ import annotations

import hashlib
import html
from typing import Any

from starlette.responses import Response

from radex.confluence.emulator import (
    routes_v2_comments,
    routes_v2_items,
    routes_v2_pages,
    routes_v2_writes,
)
from radex.confluence.emulator.http import Ctx, Endpoint, iso, ok, query_bool, v2_page
from radex.confluence.emulator.model import Space
from radex.confluence.emulator.render_v2 import account_id, optional_field
from radex.confluence.emulator.routes_v2_params import enum_param, id_list, include, listed, path_id

READ_SPACE = ("read:space:confluence",)
SPACE_TYPES = (
    "global",
    "collaboration",
    "knowledge_base",
    "personal",
    "system",
    "onboarding",
    "xflow_sample_space",
)
SPACE_SORTS = ("id", "-id", "key", "-key", "name", "-name")
# What each space grant lets its holders do, as v2 (operation key, target type) pairs.
GRANT_OPERATIONS: dict[str, list[tuple[str, str]]] = {
    "view": [("read", "space")],
    "edit": [
        ("create", "page"),
        ("create", "blogpost"),
        ("create", "comment"),
        ("create", "attachment"),
        ("delete", "page"),
        ("delete", "blogpost"),
        ("delete", "comment"),
        ("delete", "attachment"),
        ("archive", "page"),
    ],
    "admin": [("administer", "space"), ("restrict_content", "space"), ("export", "space")],
}


def space_v2(
    ctx: Ctx, space: Space, *, description_format: str | None = None, icon: bool = False
) -> dict[str, Any]:
    """A v2 SpaceBulk (description and icon only when asked for, as Confluence does)."""
    author = account_id(ctx.site, space.author)
    body: dict[str, Any] = {
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "authorId": author,
        "spaceOwnerId": author,
        "currentActiveAlias": space.key,
        "createdAt": iso(space.created_at),
    }
    if space.homepage_id:
        body["homepageId"] = space.homepage_id
    if description_format == "plain":
        body["description"] = {"plain": {"representation": "plain", "value": space.description}}
    elif description_format == "view":
        value = f"<p>{html.escape(space.description)}</p>" if space.description else ""
        body["description"] = {"view": {"representation": "view", "value": value}}
    if icon:
        path = "/images/logo/default-space-logo-256.png"
        body["icon"] = {"path": path, "apiDownloadLink": f"{ctx.context}{path}"}
    body["_links"] = {"webui": f"/spaces/{space.key}"}
    return body


def _space_sort(sort: str) -> Any:
    field, desc = sort.lstrip("-"), sort.startswith("-")
    if field == "id":
        return lambda s: [-int(s.id)] if desc else [int(s.id)]
    if desc:
        return lambda s: [[-ord(ch) for ch in getattr(s, field)] + [1], -int(s.id)]
    return lambda s: [getattr(s, field), int(s.id)]


async def list_spaces(ctx: Ctx) -> Response:
    """GET /spaces (keys, ids, type, status, labels, sort; by id ascending by default)."""
    keys = set(listed(ctx, "keys"))
    ids = set(id_list(ctx, "ids", max_items=250))
    type_ = enum_param(ctx, "type", SPACE_TYPES, "SpaceType")
    status = enum_param(ctx, "status", ("current", "archived", "trashed"), "SpaceStatus")
    sort = enum_param(ctx, "sort", SPACE_SORTS, "SpaceSortOrder", "id") or "id"
    fmt = enum_param(ctx, "description-format", ("plain", "view"), "SpaceDescriptionBody")
    icon = query_bool(ctx, "include-icon")
    # Spaces carry no labels on this site, so a label filter matches none of them.
    labelled = not listed(ctx, "labels")
    spaces = [
        s
        for s in ctx.site.spaces.values()
        if ctx.site.can_view_space(ctx.user, s)
        and (not keys or s.key in keys)
        and (not ids or s.id in ids)
        and (type_ is None or s.type == type_)
        and (status is None or s.status == status)
        and labelled
    ]
    return v2_page(
        ctx,
        spaces,
        sort_key=_space_sort(sort),
        render=lambda s: space_v2(ctx, s, description_format=fmt, icon=icon),
    )


async def get_space(ctx: Ctx) -> Response:
    """GET /spaces/{id} (+ description-format, include-icon/permissions/labels/operations)."""
    space = ctx.space_by_id(path_id(ctx))
    fmt = enum_param(ctx, "description-format", ("plain", "view"), "SpaceDescriptionBody")
    body = space_v2(ctx, space, description_format=fmt, icon=query_bool(ctx, "include-icon"))
    base = f"/spaces/{space.id}"
    if include(ctx, "permissions"):
        body["permissions"] = optional_field(
            ctx, permission_assignments(ctx, space), dict, f"{base}/permissions", _assignment_key
        )
    if include(ctx, "labels"):
        body["labels"] = optional_field(ctx, [], dict, f"{base}/labels", lambda _: [0])
    if include(ctx, "properties"):
        body["properties"] = optional_field(ctx, [], dict, f"{base}/properties", lambda _: [0])
    if include(ctx, "operations"):
        ops = [{"operation": "read", "targetType": "space"}]
        if ctx.site.can_admin_space(ctx.user, space):
            ops.append({"operation": "administer", "targetType": "space"})
        body["operations"] = optional_field(
            ctx, ops, dict, f"{base}/operations", lambda o: [o["operation"], o["targetType"]]
        )
    body["_links"]["base"] = ctx.root
    return ok(body)


def permission_assignments(ctx: Ctx, space: Space) -> list[dict[str, Any]]:
    """The space's grants as v2 SpacePermissionAssignments (users by accountId, groups by id,
    anonymous access as the role ``ANONYMOUS``)."""
    site = ctx.site
    out: list[dict[str, Any]] = []
    for grant, pairs in GRANT_OPERATIONS.items():
        holders = space.permissions[grant]  # type: ignore[index]
        principals = [("user", account_id(site, u)) for u in sorted(holders.users)]
        principals += [
            ("group", site.groups[g].id) for g in sorted(holders.groups) if g in site.groups
        ]
        if holders.anonymous:  # anonymous access is the role ANONYMOUS in v2
            principals.append(("role", "ANONYMOUS"))
        for kind, pid in principals:
            for op, target in pairs:
                digest = hashlib.sha256(f"{space.id}:{kind}:{pid}:{op}:{target}".encode())
                out.append(
                    {
                        "id": str(int(digest.hexdigest()[:12], 16)),
                        "principal": {"type": kind, "id": pid},
                        "operation": {"key": op, "targetType": target},
                    }
                )
    return out


def _assignment_key(assignment: dict[str, Any]) -> list[Any]:
    return [int(assignment["id"])]


async def space_permissions(ctx: Ctx) -> Response:
    """GET /spaces/{id}/permissions."""
    space = ctx.space_by_id(path_id(ctx))
    return v2_page(ctx, permission_assignments(ctx, space), sort_key=_assignment_key, render=dict)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/spaces", list_spaces, "v2", scopes=READ_SPACE),
    Endpoint("GET", "/spaces/{id}", get_space, "v2", scopes=READ_SPACE),
    Endpoint("GET", "/spaces/{id}/permissions", space_permissions, "v2", scopes=READ_SPACE),
    *routes_v2_pages.ENDPOINTS,
    *routes_v2_writes.ENDPOINTS,
    *routes_v2_comments.ENDPOINTS,
    *routes_v2_items.ENDPOINTS,
]
