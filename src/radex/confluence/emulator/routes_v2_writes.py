"""Cloud v2 writes: create, update, retitle, trash, purge, restore pages and blog posts."""

from __future__ import annotations

from typing import Any, cast

from starlette.responses import Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, ok, query_bool
from radex.confluence.emulator.model import Content, ContentStatus, ContentType
from radex.confluence.emulator.render_v2 import account_id, page_v2
from radex.confluence.emulator.routes_v2_pages import read_typed
from radex.confluence.emulator.routes_v2_params import body_value, op_error, path_id, wrong_type

WRITE_PAGE = ("write:page:confluence",)
DELETE_PAGE = ("delete:page:confluence",)
_NOUN = {"page": "page", "blogpost": "blog post"}


async def _object_body(ctx: Ctx) -> dict[str, Any]:
    data = await ctx.json_body()
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return data


def _storage(raw: Any) -> str | None:
    """The storage value of a write body (None when absent); other representations are refused."""
    parsed = body_value(raw)
    if parsed is None:
        return None
    rep, value = parsed
    if rep != "storage":
        raise ApiError(
            400, f"Body representation '{rep}' cannot be stored by this emulated site; use storage"
        )
    return value


def _status(raw: Any, allowed: tuple[str, ...]) -> ContentStatus:
    if raw not in allowed:
        raise wrong_type("status", str(raw), "ContentStatus")
    return cast(ContentStatus, raw)


def _numeric(data: dict[str, Any], key: str) -> str | None:
    raw = data.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise wrong_type(key, str(raw), "long")
    return str(int(raw))


# ---- create --------------------------------------------------------------------------------


async def _create(ctx: Ctx, type_: ContentType) -> Response:
    data = await _object_body(ctx)
    root_level = query_bool(ctx, "root-level") if type_ == "page" else False
    private = query_bool(ctx, "private")
    query_bool(ctx, "embedded")
    space_id = _numeric(data, "spaceId")
    if space_id is None:
        raise ApiError(400, "spaceId is required")
    space = ctx.space_by_id(space_id)
    status = _status(data.get("status", "current"), ("current", "draft"))
    title = data.get("title") or ""
    if not isinstance(title, str):
        raise ApiError(400, "title must be a string")
    parent_id = _numeric(data, "parentId") if type_ == "page" else None
    if root_level and parent_id is not None:
        raise ApiError(400, "A parentId may not be supplied when root-level is true")
    if type_ == "page" and not root_level and parent_id is None:
        home = ctx.site.content.get(space.homepage_id or "")
        if home is not None and home.status == "current":
            parent_id = home.id
    body = _storage(data.get("body")) or ""
    try:
        content = ops.create_content(
            ctx.site,
            ctx.user,
            type_=type_,
            space_key=space.key,
            title=title,
            body=body,
            parent_id=parent_id,
            status=status,
        )
        if private and ctx.user is not None:
            mine = {ctx.user.username}
            ops.set_restrictions(ctx.site, ctx.user, content, "read", mine, set())
            ops.set_restrictions(ctx.site, ctx.user, content, "update", mine, set())
    except ops.OpError as exc:
        raise op_error(exc) from None
    return ok(page_v2(ctx, content, fmt="storage", single=True))


async def create_page(ctx: Ctx) -> Response:
    """POST /pages (200 with the page; parent defaults to the space homepage)."""
    return await _create(ctx, "page")


async def create_blogpost(ctx: Ctx) -> Response:
    """POST /blogposts."""
    return await _create(ctx, "blogpost")


# ---- update --------------------------------------------------------------------------------


def _conflict(type_: ContentType, current: int, provided: int) -> ApiError:
    return ApiError(
        409,
        f"Version must be incremented when updating a {_NOUN[type_]}. "
        f"Current Version: [{current}]. Provided version: [{provided}]",
    )


async def _update(ctx: Ctx, type_: ContentType) -> Response:
    cid = path_id(ctx)
    data = await _object_body(ctx)
    for key in ("id", "status", "title", "body", "version"):
        if data.get(key) is None:
            raise ApiError(400, f"{key} is required")
    if str(data["id"]) != cid:
        raise ApiError(400, f"The id in the body ({data['id']}) does not match the path ({cid})")
    status = _status(data["status"], ("current", "draft"))
    content = read_typed(ctx, cid, (type_,), ("current", "archived", "draft", "trashed"))
    version = data["version"]
    number = version.get("number") if isinstance(version, dict) else None
    if not isinstance(number, int) or isinstance(number, bool):
        raise ApiError(400, "version.number is required and must be an integer")
    try:
        if content.status == "trashed":
            if status != "current":
                raise ApiError(400, "A trashed page can only be restored (status current)")
            ops.restore(ctx.site, ctx.user, content)
            return ok(page_v2(ctx, content, fmt="storage", single=True))
        _check_unchanged(ctx, content, data)
        if status == "draft" and content.status != "draft":
            raise ApiError(400, "Turning published content back into a draft is not supported")
        title = data["title"]
        if not isinstance(title, str):
            raise ApiError(400, "title must be a string")
        body = _storage(data["body"])
        message = version.get("message") or ""
        move: dict[str, Any] = {}
        if type_ == "page" and data.get("parentId") is not None:
            move["parent_id"] = _numeric(data, "parentId")
        ops.update_content(
            ctx.site,
            ctx.user,
            content,
            version_number=number,
            title=title,
            body=body,
            message=str(message),
            status=status if content.status == "draft" else None,  # publishing a draft
            **move,
        )
    except ops.OpError as exc:
        if exc.kind == "conflict" and exc.current_version is not None:
            raise _conflict(type_, exc.current_version, number) from None
        raise op_error(exc) from None
    return ok(page_v2(ctx, content, fmt="storage", single=True))


def _check_unchanged(ctx: Ctx, content: Content, data: dict[str, Any]) -> None:
    """Refuse what v2 PUT cannot do: move to another space, hand over ownership."""
    space_id = _numeric(data, "spaceId")
    if space_id is not None and space_id != ctx.site.spaces[content.space_key].id:
        raise ApiError(400, "Moving content to a different space is not supported")
    owner = data.get("ownerId")
    if owner is not None and owner != account_id(ctx.site, content.author):
        raise ApiError(400, "Transferring ownership is not supported by this emulated site")


async def update_page(ctx: Ctx) -> Response:
    """PUT /pages/{id} (version must be current + 1; status current restores from trash)."""
    return await _update(ctx, "page")


async def update_blogpost(ctx: Ctx) -> Response:
    """PUT /blogposts/{id}."""
    return await _update(ctx, "blogpost")


async def update_page_title(ctx: Ctx) -> Response:
    """PUT /pages/{id}/title (a new version with only the title changed)."""
    cid = path_id(ctx)
    data = await _object_body(ctx)
    for key in ("status", "title"):
        if data.get(key) is None:
            raise ApiError(400, f"{key} is required")
    _status(data["status"], ("current", "draft"))
    if not isinstance(data["title"], str):
        raise ApiError(400, "title must be a string")
    content = read_typed(ctx, cid, ("page",), ("current", "archived", "draft"))
    try:
        ops.update_content(
            ctx.site, ctx.user, content, version_number=content.version + 1, title=data["title"]
        )
    except ops.OpError as exc:
        raise op_error(exc) from None
    return ok(page_v2(ctx, content, single=True))


# ---- delete --------------------------------------------------------------------------------


async def _delete(ctx: Ctx, type_: ContentType) -> Response:
    cid = path_id(ctx)
    purge = query_bool(ctx, "purge")
    draft = query_bool(ctx, "draft")
    try:
        if draft:
            ops.discard_draft(ctx.site, ctx.user, read_typed(ctx, cid, (type_,), ("draft",)))
        elif purge:
            content = read_typed(ctx, cid, (type_,), ("current", "archived", "trashed"))
            ops.purge(ctx.site, ctx.user, content)
        else:
            ops.trash(ctx.site, ctx.user, read_typed(ctx, cid, (type_,), ("current", "archived")))
    except ops.OpError as exc:
        raise op_error(exc) from None
    return Response(status_code=204)


async def delete_page(ctx: Ctx) -> Response:
    """DELETE /pages/{id} (trash; ``purge=true`` on trashed pages; ``draft=true`` for drafts)."""
    return await _delete(ctx, "page")


async def delete_blogpost(ctx: Ctx) -> Response:
    """DELETE /blogposts/{id}."""
    return await _delete(ctx, "blogpost")


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/pages", create_page, "v2", scopes=WRITE_PAGE),
    Endpoint("PUT", "/pages/{id}", update_page, "v2", scopes=WRITE_PAGE),
    Endpoint("PUT", "/pages/{id}/title", update_page_title, "v2", scopes=WRITE_PAGE),
    Endpoint("DELETE", "/pages/{id}", delete_page, "v2", scopes=DELETE_PAGE),
    Endpoint("POST", "/blogposts", create_blogpost, "v2", scopes=WRITE_PAGE),
    Endpoint("PUT", "/blogposts/{id}", update_blogpost, "v2", scopes=WRITE_PAGE),
    Endpoint("DELETE", "/blogposts/{id}", delete_blogpost, "v2", scopes=DELETE_PAGE),
]
