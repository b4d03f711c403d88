"""Cloud v2 things hanging off content: labels, attachments, versions, operations; users."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, epoch_ms, ok, v2_page
from radex.confluence.emulator.model import Content, ContentType, Label
from radex.confluence.emulator.render_v2 import (
    attachment_v2,
    content_version_v2,
    detailed_version_v2,
    label_key,
    label_v2,
    operations_v2,
    optional_field,
    user_v2,
    version_v2,
)
from radex.confluence.emulator.routes_v2_pages import read_typed
from radex.confluence.emulator.routes_v2_params import (
    attachment_path_id,
    body_format,
    enum_param,
    include,
    path_id,
    positive_int,
    statuses,
)

READ_PAGE = ("read:page:confluence",)
READ_ATTACHMENT = ("read:attachment:confluence",)
READ_USER = ("read:user:confluence",)
LABEL_PREFIXES = ("my", "team", "global", "system")
LABEL_SORTS = ("id", "-id", "name", "-name", "prefix", "-prefix")
ATTACHMENT_SORTS = ("created-date", "-created-date", "modified-date", "-modified-date")
ATTACHMENT_STATUSES = ("current", "archived", "trashed")
VERSION_SORTS = ("modified-date", "-modified-date")
VERSIONS_WITH_BODY_CAP = 50
MAX_BULK_USERS = 250
_CONTAINER_STATUSES = ("current", "archived")


def _container(ctx: Ctx, type_: ContentType, name: str = "id") -> Content:
    return read_typed(ctx, path_id(ctx, name), (type_,), _CONTAINER_STATUSES)


# ---- labels --------------------------------------------------------------------------------


def _label_sort(sort: str) -> Any:
    field, desc = sort.lstrip("-"), sort.startswith("-")
    sign = -1 if desc else 1
    if field == "name":
        return lambda lab: [[sign * ord(ch) for ch in lab.name] + [sign], sign * int(lab.id)]
    if field == "prefix":
        return lambda lab: [[sign * ord(ch) for ch in lab.prefix] + [sign], sign * int(lab.id)]
    if desc:
        return lambda lab: [-int(lab.id), [-ord(ch) for ch in lab.name] + [-1]]
    return label_key


def _labels(ctx: Ctx, type_: ContentType) -> Response:
    content = _container(ctx, type_)
    prefix = enum_param(ctx, "prefix", LABEL_PREFIXES, "string")
    sort = enum_param(ctx, "sort", LABEL_SORTS, "string", "id")
    labels: list[Label] = [lab for lab in content.labels if prefix is None or lab.prefix == prefix]
    return v2_page(ctx, labels, sort_key=_label_sort(sort or "id"), render=label_v2)


async def page_labels(ctx: Ctx) -> Response:
    """GET /pages/{id}/labels."""
    return _labels(ctx, "page")


async def blogpost_labels(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/labels."""
    return _labels(ctx, "blogpost")


# ---- attachments ---------------------------------------------------------------------------


def attachment_key(sort: str) -> Any:
    """The keyset sort key for attachments."""
    sign = -1 if sort.startswith("-") else 1
    if sort.lstrip("-") == "modified-date":
        return lambda a: [sign * epoch_ms(a.updated_at), sign * int(a.id.removeprefix("att"))]
    return lambda a: [sign * epoch_ms(a.created_at), sign * int(a.id.removeprefix("att"))]


def _attachments(ctx: Ctx, type_: ContentType) -> Response:
    container = _container(ctx, type_)
    wanted = statuses(ctx, ATTACHMENT_STATUSES, ("current", "archived"))
    sort = enum_param(ctx, "sort", ATTACHMENT_SORTS, "AttachmentSortOrder", "created-date")
    filename = ctx.params.get("filename")
    media_type = ctx.params.get("mediaType")
    items = [
        a
        for a in ctx.site.children(container.id, "attachment")
        if a.status in wanted
        and (filename is None or a.title == filename)
        and (media_type is None or a.media_type == media_type)
    ]
    return v2_page(
        ctx,
        items,
        sort_key=attachment_key(sort or "created-date"),
        render=lambda a: attachment_v2(ctx, a),
        default_limit=50,
    )


async def page_attachments(ctx: Ctx) -> Response:
    """GET /pages/{id}/attachments (default limit 50)."""
    return _attachments(ctx, "page")


async def blogpost_attachments(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/attachments."""
    return _attachments(ctx, "blogpost")


async def get_attachment(ctx: Ctx) -> Response:
    """GET /attachments/{id} (``att123`` or ``123``; ``version=N`` for an older version)."""
    att_id = attachment_path_id(ctx)
    number = positive_int(ctx, "version")
    attachment = read_typed(ctx, att_id, ("attachment",), ("current", "archived"))
    version = attachment.at_version(number) if number is not None else None
    if number is not None and version is None:
        raise ApiError(404, "Not Found")
    body = attachment_v2(ctx, attachment, version=version, single=True)
    if not include(ctx, "version", True):
        body.pop("version")
    base = f"/attachments/{attachment.id}"
    if include(ctx, "labels"):
        body["labels"] = optional_field(
            ctx, attachment.labels, label_v2, f"{base}/labels", label_key
        )
    if include(ctx, "versions"):
        body["versions"] = optional_field(
            ctx,
            attachment.versions,
            lambda v: version_v2(ctx.site, v),
            f"{base}/versions",
            lambda v: [-v.number],
        )
    if include(ctx, "operations"):
        body["operations"] = optional_field(
            ctx,
            operations_v2(ctx.site, ctx.user, attachment),
            dict,
            f"{base}/operations",
            lambda o: [o["operation"], o["targetType"]],
        )
    if include(ctx, "properties"):
        body["properties"] = optional_field(ctx, [], dict, f"{base}/properties", lambda _: [0])
    return ok(body)


# ---- versions ------------------------------------------------------------------------------


def _versions(ctx: Ctx, type_: ContentType) -> Response:
    content = _container(ctx, type_)
    fmt = body_format(ctx, single=False)
    sort = enum_param(ctx, "sort", VERSION_SORTS, "VersionSortOrder", "-modified-date")
    sign = 1 if sort == "modified-date" else -1
    return v2_page(
        ctx,
        content.versions,
        sort_key=lambda v: [sign * v.number],
        render=lambda v: content_version_v2(ctx, content, v, fmt),
        cap=VERSIONS_WITH_BODY_CAP if fmt is not None else None,
    )


async def page_versions(ctx: Ctx) -> Response:
    """GET /pages/{id}/versions (newest first; at most 50 per page with bodies)."""
    return _versions(ctx, "page")


async def blogpost_versions(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/versions."""
    return _versions(ctx, "blogpost")


def _version(ctx: Ctx, type_: ContentType) -> Response:
    content = _container(ctx, type_)
    raw = ctx.path_param("version_number")
    if not raw.isdigit():
        raise ApiError(
            400,
            f"Provided value {{{raw}}} for 'version-number' is not the correct type. "
            "Expected type is int.",
        )
    version = content.at_version(int(raw))
    if version is None:
        raise ApiError(404, "Not Found")
    return ok(detailed_version_v2(ctx.site, content, version))


async def page_version(ctx: Ctx) -> Response:
    """GET /pages/{page-id}/versions/{version-number}."""
    return _version(ctx, "page")


async def blogpost_version(ctx: Ctx) -> Response:
    """GET /blogposts/{blogpost-id}/versions/{version-number}."""
    return _version(ctx, "blogpost")


# ---- operations and users ------------------------------------------------------------------


def _operations(ctx: Ctx, type_: ContentType) -> Response:
    content = _container(ctx, type_)
    return ok({"operations": operations_v2(ctx.site, ctx.user, content)})


async def page_operations(ctx: Ctx) -> Response:
    """GET /pages/{id}/operations (what the caller may do)."""
    return _operations(ctx, "page")


async def blogpost_operations(ctx: Ctx) -> Response:
    """GET /blogposts/{id}/operations."""
    return _operations(ctx, "blogpost")


async def users_bulk(ctx: Ctx) -> Response:
    """POST /users-bulk ``{accountIds: [...]}`` (1..250 ids; unknown ids are left out)."""
    data = await ctx.json_body()
    ids = data.get("accountIds") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "accountIds is required and must be a list of account ids")
    if not 1 <= len(ids) <= MAX_BULK_USERS:
        raise ApiError(400, f"accountIds must hold between 1 and {MAX_BULK_USERS} account ids")
    by_account = {u.account_id: u for u in ctx.site.users.values()}
    seen: set[str] = set()
    results = []
    for account in ids:
        user = by_account.get(account)
        if user is not None and account not in seen:
            seen.add(account)
            results.append(user_v2(ctx.site, user))
    return ok({"results": results, "_links": {"base": ctx.root}})


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/pages/{id}/labels", page_labels, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/blogposts/{id}/labels", blogpost_labels, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/pages/{id}/attachments", page_attachments, "v2", scopes=READ_ATTACHMENT),
    Endpoint(
        "GET", "/blogposts/{id}/attachments", blogpost_attachments, "v2", scopes=READ_ATTACHMENT
    ),
    Endpoint("GET", "/attachments/{id}", get_attachment, "v2", scopes=READ_ATTACHMENT),
    Endpoint("GET", "/pages/{id}/versions", page_versions, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/pages/{id}/versions/{version_number}", page_version, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/blogposts/{id}/versions", blogpost_versions, "v2", scopes=READ_PAGE),
    Endpoint(
        "GET",
        "/blogposts/{id}/versions/{version_number}",
        blogpost_version,
        "v2",
        scopes=READ_PAGE,
    ),
    Endpoint("GET", "/pages/{id}/operations", page_operations, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/blogposts/{id}/operations", blogpost_operations, "v2", scopes=READ_PAGE),
    Endpoint("POST", "/users-bulk", users_bulk, "v2", scopes=READ_USER),
]
