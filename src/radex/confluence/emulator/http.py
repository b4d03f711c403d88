"""What every emulated endpoint shares: request context, errors, pagination, JSON responses."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from radex.confluence.emulator.faults import FaultSpec
from radex.confluence.emulator.model import Content, Flavor, Site, Space, User
from radex.confluence.emulator.ratelimit import RateLimitConfig

Api = Literal["v1", "v2"]
T = TypeVar("T")

V2_MAX_LIMIT = 250


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulated site behaves on the wire."""

    flavor: Flavor = "cloud"
    context_path: str = ""  # Data Center only, e.g. "/confluence"
    latency_ms: float = 0.0
    faults: FaultSpec = field(default_factory=FaultSpec)
    fault_seed: int = 0
    fault_timeout_s: float = 10.0
    rate_limit: RateLimitConfig | None = None
    # Cloud v1 reads that v2 replaces: "serve", "warn" (Deprecation headers) or "gone" (410)
    legacy_v1: Literal["serve", "warn", "gone"] = "warn"
    oauth_authorize_path: str = "/authorize"
    oauth_token_path: str = "/oauth/token"  # noqa: S105 - a URL path, not a secret
    accessible_resources_path: str = "/oauth/token/accessible-resources"
    access_token_ttl_s: int = 3600
    # silent cap on v1 list limits, echoed in `limit` (None: ~250 seen on Cloud, 500 on DC)
    v1_list_cap: int | None = None

    @property
    def list_cap(self) -> int:
        """The effective silent cap on v1 list limits."""
        if self.v1_list_cap is not None:
            return self.v1_list_cap
        return 250 if self.flavor == "cloud" else 500


@dataclass
class Ctx:
    """One request, as a handler sees it."""

    site: Site
    config: EmulatorConfig
    request: Request
    user: User | None
    api: Api
    via_gateway: bool
    root: str  # origin + site context: "http://h:p/wiki" on Cloud, "http://h:p[/ctx]" on DC
    context: str  # "/wiki" on Cloud, "" or "/ctx" on DC
    scopes: frozenset[str] | None = None  # OAuth scopes; None for token/password auth

    @property
    def params(self) -> QueryParams:
        """The query parameters."""
        return self.request.query_params

    def path_param(self, name: str) -> str:
        """A path parameter as a string."""
        return str(self.request.path_params[name])

    async def json_body(self) -> Any:
        """The JSON request body, or a 400 naming the problem."""
        raw = await self.request.body()
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "Request body is not valid JSON") from None

    def read(self, content_id: str, *, statuses: Sequence[str] = ("current",)) -> Content:
        """Content the caller may read, else 404 (missing and forbidden look the same)."""
        content = self.site.content.get(content_id)
        if (
            content is None
            or content.status not in statuses
            or not self.site.can_read(self.user, content)
        ):
            raise ApiError(404, not_found_message(self, content_id))
        return content

    def space(self, key: str) -> Space:
        """A space the caller may view, else 404."""
        space = self.site.spaces.get(key)
        if space is None or not self.site.can_view_space(self.user, space):
            raise ApiError(404, f"No space with key : {key}")
        return space

    def space_by_id(self, space_id: str) -> Space:
        """A space by id that the caller may view, else 404."""
        space = self.site.space_by_id(space_id)
        if space is None or not self.site.can_view_space(self.user, space):
            raise ApiError(404, f"No space found with id : {space_id}")
        return space


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One emulated operation: method, path under its API root, handler."""

    method: str
    path: str
    handler: Handler
    api: Api
    deprecated_read: bool = False  # Cloud v1 read that v2 replaces
    scopes: tuple[str, ...] = ()  # OAuth scopes, any one of which allows the call


class ApiError(Exception):
    """An error response in the flavour's own error shape."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


V2_CODES = {
    400: "INVALID_REQUEST_PARAMETER",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    410: "GONE",
    413: "PAYLOAD_TOO_LARGE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def error_response(api: Api, status: int, message: str, headers: dict[str, str]) -> Response:
    """The error body Confluence sends: v2 ``{"errors":[…]}``, v1/DC ``{"statusCode",…}``."""
    body: dict[str, Any]
    if api == "v2":
        code = V2_CODES.get(status, "ERROR")
        body = {"errors": [{"status": status, "code": code, "title": message, "detail": None}]}
    else:
        body = {
            "statusCode": status,
            "data": {
                "authorized": status not in (401, 403),
                "valid": status not in (400, 404),
                "allowedInReadOnlyMode": True,
                "errors": [],
                "successful": False,
            },
            "message": message,
            "reason": _REASONS.get(status, ""),
        }
    return JSONResponse(body, status_code=status, headers=headers)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def not_found_message(ctx: Ctx, content_id: str) -> str:
    """The 404 text for content that is missing or hidden."""
    if ctx.api == "v2":
        return "Not Found"
    if ctx.site.flavor == "dc":
        return f"No content found with id: ContentId{{id={content_id}}}"
    return f"No content found with id : ContentId{{id={content_id}}}"


def iso(dt: datetime) -> str:
    """``YYYY-MM-DDTHH:mm:ss.sssZ``, as both APIs write timestamps."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def epoch_ms(dt: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(dt.timestamp() * 1000)


def ok(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return JSONResponse(body, status_code=status, headers=headers)


def query_bool(ctx: Ctx, name: str, default: bool = False) -> bool:
    """A boolean query parameter ("true"/"false"), else 400."""
    raw = ctx.params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ApiError(400, f"Invalid value for parameter '{name}': expected true or false")


def query_int(ctx: Ctx, name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer query parameter, else 400."""
    raw = ctx.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, f"Invalid value for parameter '{name}': '{raw}' is not a number"
        ) from None
    if minimum is not None and value < minimum:
        raise ApiError(400, f"Invalid value for parameter '{name}': must be at least {minimum}")
    return value


# ---- v2 cursor pagination --------------------------------------------------------------------


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor for 'after this sort key'."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The sort key inside a cursor, else 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error):
        raise ApiError(400, f"Invalid cursor: {cursor}") from None
    if not isinstance(key, list) or not key:
        raise ApiError(400, f"Invalid cursor: {cursor}")
    return key


def v2_limit(ctx: Ctx, default: int = 25, maximum: int = V2_MAX_LIMIT) -> int:
    """The v2 ``limit``: 1..maximum, else 400."""
    limit = query_int(ctx, "limit", default)
    if limit < 1 or limit > maximum:
        raise ApiError(400, f"Limit must be between 1 and {maximum}, but was {limit}")
    return limit


def v2_page(
    ctx: Ctx,
    items: Sequence[T],
    *,
    sort_key: Callable[[T], Sequence[Any]],
    render: Callable[[T], Any],
    default_limit: int = 25,
    max_limit: int = V2_MAX_LIMIT,
    cap: int | None = None,
) -> Response:
    """One page of a v2 list: keyset cursor in both the ``Link`` header and ``_links.next``.

    ``cap`` silently lowers a valid ``limit`` (e.g. versions with bodies come 50 at most).
    """
    limit = v2_limit(ctx, default_limit, max_limit)
    if cap is not None:
        limit = min(limit, cap)
    ordered = sorted(items, key=lambda it: list(sort_key(it)))
    cursor = ctx.params.get("cursor")
    if cursor:
        after = decode_cursor(cursor)
        try:
            ordered = [it for it in ordered if list(sort_key(it)) > after]
        except TypeError:
            raise ApiError(400, f"Invalid cursor: {cursor}") from None
    chunk = ordered[:limit]
    body: dict[str, Any] = {"results": [render(it) for it in chunk], "_links": {"base": ctx.root}}
    headers: dict[str, str] = {}
    if len(ordered) > limit:
        pairs = [(k, v) for k, v in ctx.params.multi_items() if k not in ("cursor", "limit")]
        pairs += [("cursor", encode_cursor(sort_key(chunk[-1]))), ("limit", str(limit))]
        nxt = f"{ctx.context}{v2_api_path(ctx)}?{urlencode(pairs)}"
        body["_links"]["next"] = nxt
        headers["Link"] = f'<{nxt}>; rel="next", <{ctx.root}>; rel="base"'
    return ok(body, headers=headers)


def v2_api_path(ctx: Ctx) -> str:
    """The request path below the site context (``/api/v2/...``)."""
    path = ctx.request.url.path
    marker = "/api/v2/"
    return path[path.index(marker) :] if marker in path else path


# ---- v1 offset pagination --------------------------------------------------------------------


def v1_window(ctx: Ctx, default_limit: int = 25, cap: int | None = None) -> tuple[int, int]:
    """(start, limit) with the silent cap applied, else 400 for nonsense."""
    start = query_int(ctx, "start", 0, minimum=0)
    limit = query_int(ctx, "limit", default_limit)
    if limit < 0:
        raise ApiError(400, "Limit must be greater than or equal to 0")
    return start, min(limit, cap if cap is not None else ctx.config.list_cap)


def v1_links(ctx: Ctx, *, start: int, limit: int, has_next: bool) -> dict[str, str]:
    """``_links`` of a v1 collection: base, context, self, and next/prev relative to base."""
    path = v1_api_path(ctx)
    links = {"base": ctx.root, "context": ctx.context, "self": f"{ctx.root}{path}"}
    keep = [(k, v) for k, v in ctx.params.multi_items() if k not in ("start", "limit", "cursor")]
    if has_next:
        links["next"] = f"{path}?{urlencode([*keep, ('limit', limit), ('start', start + limit)])}"
    if start > 0:
        prev = max(0, start - limit)
        links["prev"] = f"{path}?{urlencode([*keep, ('limit', limit), ('start', prev)])}"
    return links


def v1_collection(
    ctx: Ctx,
    items: Sequence[T],
    render: Callable[[T], Any],
    *,
    default_limit: int = 25,
    cap: int | None = None,
) -> dict[str, Any]:
    """A v1 collection body ``{results,start,limit,size,_links}`` for one window of ``items``."""
    start, limit = v1_window(ctx, default_limit, cap)
    chunk = items[start : start + limit]
    return {
        "results": [render(it) for it in chunk],
        "start": start,
        "limit": limit,
        "size": len(chunk),
        "_links": v1_links(
            ctx, start=start, limit=limit, has_next=limit > 0 and start + limit < len(items)
        ),
    }


def v1_api_path(ctx: Ctx) -> str:
    """The request path below the site context (``/rest/api/...``)."""
    path = ctx.request.url.path
    marker = "/rest/api/"
    return path[path.index(marker) :] if marker in path else path
