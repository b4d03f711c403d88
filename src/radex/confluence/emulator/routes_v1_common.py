"""What the v1 route modules share: OAuth scope sets, status filters, OpError translation."""

from __future__ import annotations

from typing import Any

from radex.confluence.emulator.http import ApiError, Ctx, not_found_message
from radex.confluence.emulator.ops import OpError

READ_CONTENT = (
    "read:confluence-content.all",
    "read:confluence-content.summary",
    "read:content-details:confluence",
)
WRITE_CONTENT = ("write:confluence-content", "write:content:confluence")
DELETE_CONTENT = ("write:confluence-content", "delete:content:confluence")
READ_SPACE = (
    "read:confluence-space.summary",
    "read:space-details:confluence",
    "read:space:confluence",
)
READ_ATTACHMENT = (
    "readonly:content.attachment:confluence",
    "read:attachment:confluence",
    "read:confluence-content.all",
)
WRITE_FILE = ("write:confluence-file", "write:attachment:confluence")
READ_LABEL = ("read:confluence-content.summary", "read:label:confluence")
WRITE_LABEL = ("write:confluence-content", "write:label:confluence")
READ_RESTRICTION = (
    "read:confluence-content.all",
    "read:content-details:confluence",
    "read:content.restriction:confluence",
)
WRITE_RESTRICTION = ("write:confluence-content", "write:content.restriction:confluence")
CHECK_PERMISSION = ("read:confluence-content.permission", "read:content.permission:confluence")
READ_USER = ("read:confluence-user", "read:user:confluence")
READ_GROUP = ("read:confluence-groups", "read:group:confluence")

STATUSES = ("current", "trashed", "deleted", "historical", "draft", "archived")


def status_filter(ctx: Ctx, default: tuple[str, ...] = ("current",)) -> tuple[str, ...]:
    """The ``status`` query parameter(s): comma separated or repeated; ``any`` = every status."""
    raw = [p.strip() for v in ctx.params.getlist("status") for p in v.split(",") if p.strip()]
    if not raw:
        return default
    for value in raw:
        if value != "any" and value not in STATUSES:
            raise ApiError(
                400,
                f"Invalid status '{value}'. Valid values: {', '.join([*STATUSES, 'any'])}",
            )
    if "any" in raw:
        return ("current", "trashed", "draft", "archived")
    return tuple(raw)


def op_error(ctx: Ctx, exc: OpError, content_id: str = "") -> ApiError:
    """The v1 error response for a refused write."""
    if exc.kind == "conflict":
        return ApiError(409, exc.message)
    if exc.kind == "not_found":
        message = exc.message if not content_id else not_found_message(ctx, content_id)
        return ApiError(404, message)
    if exc.kind == "forbidden":
        if ctx.user is None:
            return ApiError(401, "This request requires authentication")
        return ApiError(403, exc.message)
    if exc.kind == "too_large":
        return ApiError(413, exc.message)
    return ApiError(400, exc.message)


async def json_object(ctx: Ctx) -> dict[str, Any]:
    """The request body as a JSON object, else 400."""
    body = await ctx.json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return body


def need_user(ctx: Ctx) -> None:
    """401 for anonymous callers of endpoints that need a login."""
    if ctx.user is None:
        raise ApiError(401, "This request requires authentication")
