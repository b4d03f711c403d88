"""v1 label endpoints: ``/content/{id}/label`` read, add and remove."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator import ops
from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, ok, v1_collection
from radex.confluence.emulator.model import Content, Label
from radex.confluence.emulator.ops import OpError
from radex.confluence.emulator.render_v1 import labels_v1
from radex.confluence.emulator.routes_v1_common import (
    READ_LABEL,
    WRITE_LABEL,
    op_error,
)

LABEL_LIMIT = 200
_PREFIXES = ("global", "my", "team", "system")


def _content(ctx: Ctx) -> Content:
    return ctx.read(ctx.path_param("id"), statuses=("current", "archived", "draft"))


def _label_array(ctx: Ctx, content: Content, labels: list[Label]) -> dict[str, Any]:
    return v1_collection(
        ctx,
        labels,
        lambda lab: labels_v1(ctx, content, [lab])[0],
        default_limit=LABEL_LIMIT,
    )


async def get_labels(ctx: Ctx) -> Response:
    """GET /content/{id}/label: LabelArray, optionally one prefix; default limit 200."""
    content = _content(ctx)
    prefix = ctx.params.get("prefix")
    if prefix and prefix not in _PREFIXES:
        raise ApiError(400, f"Invalid label prefix: {prefix}. Valid values: {', '.join(_PREFIXES)}")
    labels = [lab for lab in content.labels if not prefix or lab.prefix == prefix]
    return ok(_label_array(ctx, content, labels))


def _requested(body: Any) -> list[tuple[str, str]]:
    items = body if isinstance(body, list) else [body]
    if not items:
        raise ApiError(400, 'Provide at least one label: [{"prefix": "global", "name": ...}]')
    out: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ApiError(400, "Each label must be an object with a name and an optional prefix")
        prefix = item.get("prefix") or "global"
        if not isinstance(prefix, str):
            raise ApiError(400, "Label prefix must be a string")
        name = item["name"].strip()
        if len(name) > 255:
            raise ApiError(400, f"Label '{name[:40]}…' is longer than 255 characters")
        out.append((prefix, name))
    return out


async def add_labels(ctx: Ctx) -> Response:
    """POST /content/{id}/label: add labels (a list or one object); returns every label."""
    content = _content(ctx)
    wanted = _requested(await ctx.json_body())
    try:
        labels = ops.add_labels(ctx.site, ctx.user, content, wanted)
    except OpError as exc:
        raise op_error(ctx, exc) from None
    return ok(_label_array(ctx, content, labels))


def _remove(ctx: Ctx, name: str) -> Response:
    content = _content(ctx)
    try:
        ops.remove_label(ctx.site, ctx.user, content, name)
    except OpError as exc:
        raise op_error(ctx, exc) from None
    return Response(status_code=204)


async def remove_label(ctx: Ctx) -> Response:
    """DELETE /content/{id}/label/{label} → 204."""
    return _remove(ctx, ctx.path_param("label"))


async def remove_label_by_query(ctx: Ctx) -> Response:
    """DELETE /content/{id}/label?name= (for names containing '/') → 204."""
    name = ctx.params.get("name")
    if not name:
        raise ApiError(400, "The name query parameter is required")
    return _remove(ctx, name)


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET", "/content/{id}/label", get_labels, "v1", deprecated_read=True, scopes=READ_LABEL
    ),
    Endpoint("POST", "/content/{id}/label", add_labels, "v1", scopes=WRITE_LABEL),
    Endpoint("DELETE", "/content/{id}/label", remove_label_by_query, "v1", scopes=WRITE_LABEL),
    Endpoint("DELETE", "/content/{id}/label/{label}", remove_label, "v1", scopes=WRITE_LABEL),
]
