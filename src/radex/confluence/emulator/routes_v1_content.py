"""v1 content endpoints: list, read, create, update, trash/purge, history and versions."""

from __future__ import annotations

import re
from typing import Any, cast

from starlette.responses import Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.http import (
    ApiError,
    Ctx,
    Endpoint,
    not_found_message,
    ok,
    query_int,
    v1_collection,
)
from radex.confluence.emulator.model import Content, ContentStatus
from radex.confluence.emulator.ops import OpError
from radex.confluence.emulator.render_v1 import (
    CLOUD_DEFAULT_EXPAND,
    content_v1,
    history_v1,
    parse_expand,
    version_v1,
    with_base,
)
from radex.confluence.emulator.routes_v1_common import (
    DELETE_CONTENT,
    READ_CONTENT,
    WRITE_CONTENT,
    json_object,
    op_error,
    status_filter,
)

WRITE_EXPAND = frozenset({"space", "history", "version", "ancestors", "body.storage", "container"})
HISTORY_EXPAND = frozenset({"lastUpdated", "previousVersion", "contributors.publishers"})
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DUPLICATE = "A page with this title already exists"


def _sort_key(content: Content) -> tuple[int, str]:
    return (len(content.id), content.id)


def default_expand(ctx: Ctx) -> frozenset[str]:
    """The expansions of a single-content read: Cloud adds space, history and version."""
    return parse_expand(
        ctx, default=CLOUD_DEFAULT_EXPAND if ctx.site.flavor == "cloud" else frozenset()
    )


# ---- reads -----------------------------------------------------------------------------------


async def list_content(ctx: Ctx) -> Response:
    """GET /content: pages or blog posts by space, title, status and posting day."""
    type_ = ctx.params.get("type") or "page"
    if type_ not in ("page", "blogpost"):
        raise ApiError(400, f"Invalid content type: {type_}. Valid values: page, blogpost")
    space_key = ctx.params.get("spaceKey")
    title = ctx.params.get("title")
    day = ctx.params.get("postingDay")
    if day and not _DAY.fullmatch(day):
        raise ApiError(400, f"Invalid postingDay '{day}': expected yyyy-mm-dd")
    statuses = status_filter(ctx)
    expand = parse_expand(ctx)
    items = sorted(
        (
            c
            for c in ctx.site.content.values()
            if c.type == type_
            and c.status in statuses
            and (not space_key or c.space_key == space_key)
            and (title is None or c.title == title)
            and (not day or c.created_at.strftime("%Y-%m-%d") == day)
            and ctx.site.can_read(ctx.user, c)
        ),
        key=_sort_key,
    )
    return ok(v1_collection(ctx, items, lambda c: content_v1(ctx, c, expand)))


async def get_content(ctx: Ctx) -> Response:
    """GET /content/{id}: optionally an older version (``version=N``, status historical)."""
    cid = ctx.path_param("id")
    statuses = status_filter(ctx)
    expand = default_expand(ctx)
    number = ctx.params.get("version")
    if number:
        wanted = query_int(ctx, "version", 0, minimum=1)
        content = ctx.read(cid, statuses=(*statuses, "current"))
        ver = content.at_version(wanted)
        if ver is None:
            raise ApiError(404, not_found_message(ctx, cid))
        return ok(
            with_base(ctx, content_v1(ctx, content, expand, version=ver), "/rest/api/content")
        )
    content = ctx.read(cid, statuses=statuses)
    return ok(with_base(ctx, content_v1(ctx, content, expand), "/rest/api/content"))


async def get_history(ctx: Ctx) -> Response:
    """GET /content/{id}/history: creator, dates and (by default) lastUpdated/previousVersion."""
    content = ctx.read(ctx.path_param("id"), statuses=("current", "archived", "trashed"))
    expand = parse_expand(ctx, default=HISTORY_EXPAND)
    return ok(with_base(ctx, history_v1(ctx, content, expand)))


async def list_versions(ctx: Ctx) -> Response:
    """GET /content/{id}/version: newest first, default limit 200."""
    content = ctx.read(ctx.path_param("id"), statuses=("current", "archived", "trashed"))
    expand = parse_expand(ctx)
    versions = sorted(content.versions, key=lambda v: -v.number)
    return ok(
        v1_collection(
            ctx, versions, lambda v: version_v1(ctx, content, v, expand), default_limit=200
        )
    )


async def get_version(ctx: Ctx) -> Response:
    """GET /content/{id}/version/{versionNumber}."""
    content = ctx.read(ctx.path_param("id"), statuses=("current", "archived", "trashed"))
    raw = ctx.path_param("versionNumber")
    ver = content.at_version(int(raw)) if raw.isdigit() else None
    if ver is None:
        raise ApiError(404, f"No version found with number: {raw} for content {content.id}")
    return ok(with_base(ctx, version_v1(ctx, content, ver, parse_expand(ctx))))


# ---- writes ----------------------------------------------------------------------------------


def _storage(body: dict[str, Any]) -> str | None:
    raw = body.get("body")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError(400, 'body must be an object such as {"storage": {"value": ...}}')
    storage = raw.get("storage")
    if storage is None:
        others = [k for k in raw if k != "_expandable"]
        if others:
            raise ApiError(
                400, f"Unsupported body representation: {others[0]}. Use storage instead."
            )
        return None
    if not isinstance(storage, dict) or not isinstance(storage.get("value"), str):
        raise ApiError(400, "body.storage.value must be a string")
    rep = storage.get("representation", "storage")
    if rep != "storage":
        raise ApiError(400, f"Unsupported body representation: {rep}. Use storage instead.")
    return str(storage["value"])


def _last_ancestor(body: dict[str, Any]) -> str | None:
    ancestors = body.get("ancestors")
    if ancestors is None or ancestors == []:
        return None
    if not isinstance(ancestors, list) or not all(
        isinstance(a, dict) and a.get("id") not in (None, "") for a in ancestors
    ):
        raise ApiError(400, "ancestors must be a list of objects with an id")
    return str(ancestors[-1]["id"])


def _space_key(body: dict[str, Any]) -> str | None:
    space = body.get("space")
    if space is None:
        return None
    if not isinstance(space, dict) or not isinstance(space.get("key"), str):
        raise ApiError(400, "space must be an object with a key")
    return str(space["key"])


def _duplicate(exc: OpError, title: str) -> OpError:
    if exc.kind == "bad_request" and exc.message.startswith(_DUPLICATE):
        return OpError(
            "bad_request",
            f"{_DUPLICATE}: A page already exists with the title {title} in this space",
        )
    return exc


async def create_content(ctx: Ctx) -> Response:
    """POST /content: a page, blog post or comment; 200 with the new Content."""
    body = await json_object(ctx)
    type_ = body.get("type")
    if type_ not in ("page", "blogpost", "comment"):
        raise ApiError(400, f"Unsupported content type: {type_}. Use page, blogpost or comment")
    title = body.get("title") or ""
    if not isinstance(title, str):
        raise ApiError(400, "title must be a string")
    storage = _storage(body) or ""
    raw_status = body.get("status") or "current"
    if raw_status not in ("current", "draft"):
        raise ApiError(400, f"Cannot create content with status {raw_status}")
    status: ContentStatus = "draft" if raw_status == "draft" else "current"
    parent_id = _last_ancestor(body)
    container_id: str | None = None
    space_key = _space_key(body)
    if type_ == "comment":
        container = body.get("container")
        if not isinstance(container, dict) or container.get("id") in (None, ""):
            raise ApiError(400, 'A comment needs a container: {"id": ..., "type": "page"}')
        page = ctx.read(str(container["id"]), statuses=("current",))
        container_id = parent_id or page.id
        space_key = space_key or page.space_key
        parent_id = None
    if not space_key:
        raise ApiError(400, 'Space key is required: {"space": {"key": ...}}')
    if space_key not in ctx.site.spaces or not ctx.site.can_view_space(
        ctx.user, ctx.site.spaces[space_key]
    ):
        raise ApiError(404, f"No space with key : {space_key}")
    try:
        content = ops.create_content(
            ctx.site,
            ctx.user,
            type_=type_,
            space_key=space_key,
            title=title,
            body=storage,
            parent_id=parent_id,
            status=status,
            container_id=container_id,
        )
    except OpError as exc:
        raise op_error(ctx, _duplicate(exc, title)) from None
    return ok(with_base(ctx, content_v1(ctx, content, WRITE_EXPAND), "/rest/api/content"))


async def update_content(ctx: Ctx) -> Response:
    """PUT /content/{id}: new version, move, change space, or restore from the trash."""
    cid = ctx.path_param("id")
    body = await json_object(ctx)
    content = ctx.read(cid, statuses=("current", "archived", "draft", "trashed"))
    if content.type == "attachment":
        raise ApiError(400, "Attachments are updated through /child/attachment")
    wanted = body.get("status")
    restoring = content.status == "trashed" and (
        wanted == "current" or (wanted is None and ctx.params.get("status") == "current")
    )
    if content.status == "trashed" and not restoring:
        raise ApiError(404, not_found_message(ctx, cid))
    type_ = body.get("type")
    if type_ is not None and type_ != content.type:
        raise ApiError(400, f"Cannot change the type of {content.type} {cid} to {type_}")
    version = body.get("version")
    if not isinstance(version, dict) or not isinstance(version.get("number"), int):
        if not restoring:
            raise ApiError(
                400,
                "Must supply an incremented version when updating Content. No version supplied.",
            )
        version = {"number": content.version + 1}
    title = body.get("title")
    if title is not None and not isinstance(title, str):
        raise ApiError(400, "title must be a string")
    parent = _last_ancestor(body)
    status: ContentStatus | None = (
        cast(ContentStatus, wanted) if wanted in ("current", "archived", "draft") else None
    )
    try:
        ops.update_content(
            ctx.site,
            ctx.user,
            content,
            version_number=int(version["number"]),
            title=title,
            body=_storage(body),
            message=str(version.get("message") or ""),
            minor_edit=bool(version.get("minorEdit", False)),
            parent_id=ops.UNSET if parent is None else parent,
            status="current" if restoring else status,
            space_key=_space_key(body),
        )
    except OpError as exc:
        raise op_error(ctx, _duplicate(exc, title or content.title)) from None
    return ok(with_base(ctx, content_v1(ctx, content, WRITE_EXPAND), "/rest/api/content"))


async def delete_content(ctx: Ctx) -> Response:
    """DELETE /content/{id}: trash (pages, blog posts), delete (comments, attachments), or purge."""
    cid = ctx.path_param("id")
    purge = "trashed" in status_filter(ctx, default=())
    try:
        if purge:
            ops.purge(ctx.site, ctx.user, ctx.read(cid, statuses=("trashed",)))
        else:
            content = ctx.read(cid, statuses=("current", "archived", "draft"))
            ops.trash(ctx.site, ctx.user, content)
    except OpError as exc:
        raise op_error(ctx, exc) from None
    return Response(status_code=204)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/content", list_content, "v1", deprecated_read=True, scopes=READ_CONTENT),
    Endpoint("POST", "/content", create_content, "v1", scopes=WRITE_CONTENT),
    Endpoint("GET", "/content/{id}", get_content, "v1", deprecated_read=True, scopes=READ_CONTENT),
    Endpoint("PUT", "/content/{id}", update_content, "v1", scopes=WRITE_CONTENT),
    Endpoint("DELETE", "/content/{id}", delete_content, "v1", scopes=DELETE_CONTENT),
    Endpoint("GET", "/content/{id}/history", get_history, "v1", scopes=READ_CONTENT),
    Endpoint(
        "GET",
        "/content/{id}/version",
        list_versions,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
    Endpoint(
        "GET",
        "/content/{id}/version/{versionNumber}",
        get_version,
        "v1",
        deprecated_read=True,
        scopes=READ_CONTENT,
    ),
]
