"""v1 users and groups: Cloud by accountId (and group id), Data Center by username/userKey."""

from __future__ import annotations

from starlette.responses import Response

from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, ok, v1_collection
from radex.confluence.emulator.model import Group, User
from radex.confluence.emulator.render_v1 import anonymous_v1, group_v1, user_v1, with_base
from radex.confluence.emulator.routes_v1_common import READ_GROUP, READ_USER, need_user

GROUP_LIMIT = 200


def _cloud_only(ctx: Ctx) -> None:
    if ctx.site.flavor != "cloud":
        raise ApiError(404, f"null for uri: {ctx.request.url}")


def _lookup(ctx: Ctx) -> User:
    """The user a ``accountId`` (Cloud) or ``username``/``key`` (DC) query parameter names."""
    if ctx.site.flavor == "cloud":
        if ctx.params.get("username") or ctx.params.get("key"):
            raise ApiError(
                400,
                "The username and key query parameters are no longer supported. "
                "Use accountId instead.",
            )
        ident = ctx.params.get("accountId")
        if not ident:
            raise ApiError(400, "The accountId query parameter is required")
        user = next((u for u in ctx.site.users.values() if u.account_id == ident), None)
        if user is None:
            raise ApiError(404, f"No user found with accountId : {ident}")
        return user
    username, key = ctx.params.get("username"), ctx.params.get("key")
    if username:
        found = ctx.site.users.get(username)
        if found is None:
            raise ApiError(404, f"No user found with username : {username}")
        return found
    if key:
        found = next((u for u in ctx.site.users.values() if u.user_key == key), None)
        if found is None:
            raise ApiError(404, f"No user found with key : {key}")
        return found
    raise ApiError(400, "Either the username or the key query parameter is required")


async def get_user(ctx: Ctx) -> Response:
    """GET /user."""
    need_user(ctx)
    return ok(with_base(ctx, user_v1(ctx, _lookup(ctx))))


async def current_user(ctx: Ctx) -> Response:
    """GET /user/current: the caller, or the anonymous user."""
    return ok(with_base(ctx, user_v1(ctx, ctx.user)))


async def anonymous_user(ctx: Ctx) -> Response:
    """GET /user/anonymous."""
    return ok(with_base(ctx, anonymous_v1(ctx)))


async def bulk_users(ctx: Ctx) -> Response:
    """GET /user/bulk?accountId=…: known accounts in the order asked (Cloud only)."""
    _cloud_only(ctx)
    need_user(ctx)
    ids = [p.strip() for v in ctx.params.getlist("accountId") for p in v.split(",") if p.strip()]
    if not ids:
        raise ApiError(400, "The accountId query parameter is required")
    by_id = {u.account_id: u for u in ctx.site.users.values()}
    users = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    return ok(v1_collection(ctx, users, lambda u: user_v1(ctx, u), default_limit=200))


async def member_of(ctx: Ctx) -> Response:
    """GET /user/memberof: the groups of a user."""
    need_user(ctx)
    user = _lookup(ctx)
    groups = sorted(user.groups)
    return ok(v1_collection(ctx, groups, lambda g: group_v1(ctx, g), default_limit=GROUP_LIMIT))


async def list_groups(ctx: Ctx) -> Response:
    """GET /group: every group by name."""
    need_user(ctx)
    names = sorted(ctx.site.groups)
    return ok(v1_collection(ctx, names, lambda g: group_v1(ctx, g), default_limit=GROUP_LIMIT))


def _group_by_name(ctx: Ctx, name: str) -> Group:
    group = ctx.site.groups.get(name)
    if group is None:
        raise ApiError(404, f"No group found with name : {name}")
    return group


def _group_by_id(ctx: Ctx, gid: str) -> Group:
    group = next((g for g in ctx.site.groups.values() if g.id == gid), None)
    if group is None:
        raise ApiError(404, f"No group found with id : {gid}")
    return group


async def get_group(ctx: Ctx) -> Response:
    """GET /group/{groupName}."""
    need_user(ctx)
    group = _group_by_name(ctx, ctx.path_param("groupName"))
    return ok(with_base(ctx, group_v1(ctx, group.name)))


async def get_group_by_name(ctx: Ctx) -> Response:
    """GET /group/by-name?name= (Cloud)."""
    _cloud_only(ctx)
    need_user(ctx)
    group = _group_by_name(ctx, ctx.params.get("name") or "")
    return ok(with_base(ctx, group_v1(ctx, group.name)))


async def get_group_by_id(ctx: Ctx) -> Response:
    """GET /group/by-id?id= (Cloud)."""
    _cloud_only(ctx)
    need_user(ctx)
    group = _group_by_id(ctx, ctx.params.get("id") or "")
    return ok(with_base(ctx, group_v1(ctx, group.name)))


def _members(ctx: Ctx, group: Group) -> Response:
    users = ctx.site.group_members(group.name)
    return ok(v1_collection(ctx, users, lambda u: user_v1(ctx, u), default_limit=GROUP_LIMIT))


async def group_members_by_query(ctx: Ctx) -> Response:
    """GET /group/member?name= (Cloud)."""
    _cloud_only(ctx)
    need_user(ctx)
    return _members(ctx, _group_by_name(ctx, ctx.params.get("name") or ""))


async def group_members(ctx: Ctx) -> Response:
    """GET /group/{groupName}/member (DC, and legacy Cloud)."""
    need_user(ctx)
    return _members(ctx, _group_by_name(ctx, ctx.path_param("groupName")))


async def group_members_by_id(ctx: Ctx) -> Response:
    """GET /group/{groupId}/membersByGroupId (Cloud)."""
    _cloud_only(ctx)
    need_user(ctx)
    return _members(ctx, _group_by_id(ctx, ctx.path_param("groupId")))


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/user", get_user, "v1", scopes=READ_USER),
    Endpoint("GET", "/user/current", current_user, "v1", scopes=READ_USER),
    Endpoint("GET", "/user/anonymous", anonymous_user, "v1", scopes=READ_USER),
    Endpoint("GET", "/user/bulk", bulk_users, "v1", scopes=READ_USER),
    Endpoint("GET", "/user/memberof", member_of, "v1", scopes=READ_GROUP),
    Endpoint("GET", "/group", list_groups, "v1", scopes=READ_GROUP),
    Endpoint("GET", "/group/by-name", get_group_by_name, "v1", scopes=READ_GROUP),
    Endpoint("GET", "/group/by-id", get_group_by_id, "v1", scopes=READ_GROUP),
    Endpoint("GET", "/group/member", group_members_by_query, "v1", scopes=READ_GROUP),
    Endpoint("GET", "/group/{groupName}", get_group, "v1", scopes=READ_GROUP),
    Endpoint("GET", "/group/{groupName}/member", group_members, "v1", scopes=READ_GROUP),
    Endpoint(
        "GET", "/group/{groupId}/membersByGroupId", group_members_by_id, "v1", scopes=READ_GROUP
    ),
]
