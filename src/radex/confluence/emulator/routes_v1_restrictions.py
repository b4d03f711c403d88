"""v1 content restrictions (read/update) and the per-subject permission check."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.responses import Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, ok
from radex.confluence.emulator.model import Content, Grants, RestrictionOp, User
from radex.confluence.emulator.ops import OpError
from radex.confluence.emulator.render_v1 import parse_expand, restriction_v1, sub_expand
from radex.confluence.emulator.routes_v1_common import (
    CHECK_PERMISSION,
    READ_RESTRICTION,
    WRITE_RESTRICTION,
    op_error,
)

OPS: tuple[RestrictionOp, ...] = ("read", "update")
FULL = frozenset({"restrictions.user", "restrictions.group"})
Plan = dict[RestrictionOp, tuple[set[str], set[str]]]


def _content(ctx: Ctx) -> Content:
    return ctx.read(ctx.path_param("id"), statuses=("current", "archived", "draft"))


def _op(ctx: Ctx) -> RestrictionOp:
    key = ctx.path_param("operationKey")
    if key not in OPS:
        raise ApiError(400, f"Unsupported restriction operation: {key}. Use read or update")
    return key


def _op_expand(expand: frozenset[str], op: str) -> frozenset[str]:
    shared = frozenset(e for e in expand if e.startswith("restrictions") or e == "content")
    return shared | sub_expand(expand, op)


def _hash(content: Content) -> str:
    parts = [
        f"{op}:{sorted(content.restrictions[op].users)}:{sorted(content.restrictions[op].groups)}"
        for op in OPS
    ]
    return hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()


def _array(ctx: Ctx, content: Content, expand: frozenset[str]) -> dict[str, Any]:
    results = [restriction_v1(ctx, content, op, _op_expand(expand, op)) for op in OPS]
    return {
        "results": results,
        "start": 0,
        "limit": 100,
        "size": len(results),
        "restrictionsHash": _hash(content),
        "_links": {
            "base": ctx.root,
            "context": ctx.context,
            "self": f"{ctx.root}/rest/api/content/{content.id}/restriction",
        },
    }


async def get_restrictions(ctx: Ctx) -> Response:
    """GET /content/{id}/restriction: a ContentRestrictionArray (read, update)."""
    content = _content(ctx)
    return ok(_array(ctx, content, parse_expand(ctx, default=FULL)))


async def get_by_operation(ctx: Ctx) -> Response:
    """GET /content/{id}/restriction/byOperation: ``{read:{…}, update:{…}, _links}``."""
    content = _content(ctx)
    expand = parse_expand(ctx, default=FULL)  # users and groups are expanded by default
    body: dict[str, Any] = {
        op: restriction_v1(ctx, content, op, _op_expand(expand, op)) for op in OPS
    }
    body["_links"] = {
        "base": ctx.root,
        "context": ctx.context,
        "self": f"{ctx.root}/rest/api/content/{content.id}/restriction/byOperation",
    }
    return ok(body)


async def get_one_operation(ctx: Ctx) -> Response:
    """GET /content/{id}/restriction/byOperation/{operationKey}."""
    content = _content(ctx)
    op = _op(ctx)
    return ok(restriction_v1(ctx, content, op, parse_expand(ctx, default=FULL)))


# ---- writes ----------------------------------------------------------------------------------


def _user_name(ctx: Ctx, raw: Any) -> str:
    if not isinstance(raw, dict):
        raise ApiError(400, 'Each restricted user must be an object such as {"accountId": ...}')
    keys = ("accountId",) if ctx.site.flavor == "cloud" else ("username", "userKey")
    ident = next((str(raw[k]) for k in keys if raw.get(k)), None)
    if ident is None:
        raise ApiError(400, f"A restricted user needs one of: {', '.join(keys)}")
    user = ctx.site.find_user(ident)
    if user is None:
        raise ApiError(400, f"No user found for {ident}")
    return user.username


def _group_name(ctx: Ctx, raw: Any) -> str:
    if not isinstance(raw, dict):
        raise ApiError(400, 'Each restricted group must be an object such as {"name": ...}')
    name = raw.get("name")
    if name and str(name) in ctx.site.groups:
        return str(name)
    gid = raw.get("id")
    group = next((g for g in ctx.site.groups.values() if gid and g.id == gid), None)
    if group is None:
        raise ApiError(400, f"No group found for {name or gid}")
    return group.name


def _entries(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("results", [])
    if not isinstance(value, list):
        raise ApiError(400, "Restriction users and groups must be lists")
    return value


def _plan(ctx: Ctx, body: Any) -> Plan:
    items = body.get("results") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ApiError(400, "Send a list of {operation, restrictions:{user, group}}")
    plan: Plan = {}
    for item in items:
        if not isinstance(item, dict) or item.get("operation") not in OPS:
            raise ApiError(400, "Each restriction needs an operation of read or update")
        restr = item.get("restrictions") or {}
        if not isinstance(restr, dict):
            raise ApiError(400, "restrictions must be an object with user and group lists")
        users = {_user_name(ctx, u) for u in _entries(restr.get("user"))}
        groups = {_group_name(ctx, g) for g in _entries(restr.get("group"))}
        op: RestrictionOp = item["operation"]
        old = plan.get(op, (set(), set()))
        plan[op] = (old[0] | users, old[1] | groups)
    return plan


def _apply(ctx: Ctx, content: Content, plan: Plan, *, add: bool) -> None:
    """Apply after checking the caller keeps read and edit access (no self lock-out)."""
    if not ctx.site.can_update(ctx.user, content):
        raise op_error(ctx, OpError("forbidden", "You do not have permission to edit restrictions"))
    user = ctx.user
    if user is not None and not user.admin:
        for op, (users, groups) in plan.items():
            current = content.restrictions[op]
            final = (
                Grants(current.users | users, current.groups | groups)
                if add
                else Grants(users, groups)
            )
            if not final.is_empty() and not final.admits(user):
                raise ApiError(
                    400,
                    f"The {op} restriction must include you ({user.username}); "
                    "you cannot remove your own access",
                )
    try:
        for op in OPS:
            if op in plan:
                users, groups = plan[op]
                ops.set_restrictions(ctx.site, ctx.user, content, op, users, groups, add=add)
    except OpError as exc:
        raise op_error(ctx, exc) from None


async def put_restrictions(ctx: Ctx) -> Response:
    """PUT /content/{id}/restriction: replace read and update restrictions (absent = none)."""
    content = _content(ctx)
    plan = _plan(ctx, await ctx.json_body())
    full: Plan = {op: plan.get(op, (set(), set())) for op in OPS}
    _apply(ctx, content, full, add=False)
    return ok(_array(ctx, content, parse_expand(ctx, default=FULL)))


async def add_restrictions(ctx: Ctx) -> Response:
    """POST /content/{id}/restriction: add users and groups to restrictions."""
    content = _content(ctx)
    _apply(ctx, content, _plan(ctx, await ctx.json_body()), add=True)
    return ok(_array(ctx, content, parse_expand(ctx, default=FULL)))


async def delete_restrictions(ctx: Ctx) -> Response:
    """DELETE /content/{id}/restriction: remove every restriction."""
    content = _content(ctx)
    _apply(ctx, content, {op: (set(), set()) for op in OPS}, add=False)
    return ok(_array(ctx, content, parse_expand(ctx, default=FULL)))


# ---- one subject -----------------------------------------------------------------------------


def _subject_user(ctx: Ctx) -> User:
    keys = ("accountId",) if ctx.site.flavor == "cloud" else ("username", "userName", "key")
    ident = next((ctx.params[k] for k in keys if ctx.params.get(k)), None)
    if ident is None:
        raise ApiError(400, f"Give the user with one of: {', '.join(keys)}")
    user = ctx.site.find_user(ident)
    if user is None:
        raise ApiError(404, f"No user found for {ident}")
    return user


def _subject_group(ctx: Ctx) -> str:
    params = ctx.request.path_params
    if "groupName" in params:
        name = str(params["groupName"])
        if name not in ctx.site.groups:
            raise ApiError(404, f"No group found with name : {name}")
        return name
    gid = str(params["groupId"])
    group = next((g for g in ctx.site.groups.values() if g.id == gid), None)
    if group is None:
        raise ApiError(404, f"No group found with id : {gid}")
    return group.name


def _change_one(ctx: Ctx, *, user: str | None, group: str | None, add: bool) -> Response:
    content = _content(ctx)
    op = _op(ctx)
    current = content.restrictions[op]
    users, groups = set(current.users), set(current.groups)
    if user is not None:
        users = users | {user} if add else users - {user}
    if group is not None:
        groups = groups | {group} if add else groups - {group}
    _apply(ctx, content, {op: (users, groups)}, add=False)
    return Response(status_code=200)


def _has(ctx: Ctx, *, user: str | None, group: str | None) -> Response:
    content = _content(ctx)
    grants = content.restrictions[_op(ctx)]
    present = user in grants.users if user is not None else group in grants.groups
    if not present:
        raise ApiError(404, "The restriction does not name this subject")
    return Response(status_code=200)


async def user_get(ctx: Ctx) -> Response:
    """GET …/byOperation/{op}/user: 200 when the user is named, else 404."""
    return _has(ctx, user=_subject_user(ctx).username, group=None)


async def user_put(ctx: Ctx) -> Response:
    """PUT …/byOperation/{op}/user: add one user."""
    return _change_one(ctx, user=_subject_user(ctx).username, group=None, add=True)


async def user_delete(ctx: Ctx) -> Response:
    """DELETE …/byOperation/{op}/user: remove one user."""
    return _change_one(ctx, user=_subject_user(ctx).username, group=None, add=False)


async def group_get(ctx: Ctx) -> Response:
    """GET …/byOperation/{op}/group/{groupName} or /byGroupId/{groupId}."""
    return _has(ctx, user=None, group=_subject_group(ctx))


async def group_put(ctx: Ctx) -> Response:
    """PUT …/byOperation/{op}/group/{groupName} or /byGroupId/{groupId}: add one group."""
    return _change_one(ctx, user=None, group=_subject_group(ctx), add=True)


async def group_delete(ctx: Ctx) -> Response:
    """DELETE …/byOperation/{op}/group/{groupName} or /byGroupId/{groupId}: remove one group."""
    return _change_one(ctx, user=None, group=_subject_group(ctx), add=False)


# ---- permission check ------------------------------------------------------------------------


def _probe(ctx: Ctx, subject: dict[str, Any]) -> tuple[User | None, str]:
    kind = subject.get("type")
    ident = str(subject.get("identifier") or "")
    if kind == "user":
        if ident == "anonymous":
            return None, "Anonymous user"
        user = ctx.site.find_user(ident)
        if user is None:
            raise ApiError(400, f"No user found with identifier: {ident}")
        return user, "User"
    if kind == "group":
        group = ctx.site.groups.get(ident) or next(
            (g for g in ctx.site.groups.values() if g.id == ident), None
        )
        if group is None:
            raise ApiError(400, f"No group found with identifier: {ident}")
        return User(username=f"group:{group.name}", display_name=group.name, groups={group.name}), (
            "Group"
        )
    raise ApiError(400, "subject.type must be user or group")


async def check_permission(ctx: Ctx) -> Response:
    """POST /content/{id}/permission/check: may a user or group read/update/delete it?"""
    content = _content(ctx)
    body = await ctx.json_body()
    if not isinstance(body, dict) or not isinstance(body.get("subject"), dict):
        raise ApiError(400, "Send {subject:{type, identifier}, operation}")
    operation = body.get("operation")
    if operation not in ("read", "update", "delete"):
        raise ApiError(400, f"Invalid operation: {operation}. Valid values: read, update, delete")
    who, label = _probe(ctx, body["subject"])
    site = ctx.site
    space = site.spaces[content.space_key]
    allowed = site.can_read(who, content) if operation == "read" else site.can_update(who, content)
    out: dict[str, Any] = {"hasPermission": allowed}
    if not allowed:
        where = "space" if not site.can_view_space(who, space) else "content"
        out["errors"] = [
            {"translation": f"{label} does not have permission to the {where}", "args": []}
        ]
    return ok(out)


_BY = "/content/{id}/restriction/byOperation/{operationKey}"

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/content/{id}/restriction", get_restrictions, "v1", scopes=READ_RESTRICTION),
    Endpoint("PUT", "/content/{id}/restriction", put_restrictions, "v1", scopes=WRITE_RESTRICTION),
    Endpoint("POST", "/content/{id}/restriction", add_restrictions, "v1", scopes=WRITE_RESTRICTION),
    Endpoint(
        "DELETE", "/content/{id}/restriction", delete_restrictions, "v1", scopes=WRITE_RESTRICTION
    ),
    Endpoint(
        "GET",
        "/content/{id}/restriction/byOperation",
        get_by_operation,
        "v1",
        scopes=READ_RESTRICTION,
    ),
    Endpoint("GET", _BY, get_one_operation, "v1", scopes=READ_RESTRICTION),
    Endpoint("GET", f"{_BY}/user", user_get, "v1", scopes=READ_RESTRICTION),
    Endpoint("PUT", f"{_BY}/user", user_put, "v1", scopes=WRITE_RESTRICTION),
    Endpoint("DELETE", f"{_BY}/user", user_delete, "v1", scopes=WRITE_RESTRICTION),
    Endpoint("GET", f"{_BY}/group/{{groupName}}", group_get, "v1", scopes=READ_RESTRICTION),
    Endpoint("PUT", f"{_BY}/group/{{groupName}}", group_put, "v1", scopes=WRITE_RESTRICTION),
    Endpoint("DELETE", f"{_BY}/group/{{groupName}}", group_delete, "v1", scopes=WRITE_RESTRICTION),
    Endpoint("GET", f"{_BY}/byGroupId/{{groupId}}", group_get, "v1", scopes=READ_RESTRICTION),
    Endpoint("PUT", f"{_BY}/byGroupId/{{groupId}}", group_put, "v1", scopes=WRITE_RESTRICTION),
    Endpoint(
        "DELETE", f"{_BY}/byGroupId/{{groupId}}", group_delete, "v1", scopes=WRITE_RESTRICTION
    ),
    Endpoint(
        "POST", "/content/{id}/permission/check", check_permission, "v1", scopes=CHECK_PERMISSION
    ),
]
