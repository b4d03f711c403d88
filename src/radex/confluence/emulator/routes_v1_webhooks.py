"""Data Center webhook registration: ``/rest/api/webhooks`` (site administrators only)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from radex.confluence.emulator.http import ApiError, Ctx, Endpoint, epoch_ms, ok, v1_collection
from radex.confluence.emulator.routes_v1_common import json_object, need_user
from radex.confluence.emulator.webhooks import (
    KNOWN_EVENTS,
    DcWebhook,
    WebhookHub,
    unknown_events,
    url_problem,
)

MAX_NAME = 255
MAX_SECRET = 255


def _hub(ctx: Ctx) -> WebhookHub:
    hub = getattr(ctx.request.app.state.emulator, "webhooks", None)
    if not isinstance(hub, WebhookHub):  # pragma: no cover - the app always has one
        raise ApiError(500, "Webhooks are not available")
    return hub


def _admin(ctx: Ctx) -> None:
    need_user(ctx)
    if ctx.user is None or not ctx.user.admin:
        raise ApiError(403, "You must be a Confluence administrator to manage webhooks")


def webhook_json(ctx: Ctx, hook: DcWebhook) -> dict[str, Any]:
    """A registration as the REST API shows it (the secret is write-only)."""
    return {
        "id": hook.id,
        "name": hook.name,
        "createdDate": epoch_ms(hook.created_at) if hook.created_at else None,
        "updatedDate": epoch_ms(hook.updated_at) if hook.updated_at else None,
        "url": hook.url,
        "events": list(hook.events),
        "configuration": dict(hook.configuration),
        "active": hook.active,
        "scopeType": "global",
        "sslVerificationRequired": True,
        "_links": {"self": f"{ctx.root}/rest/api/webhooks/{hook.id}"},
    }


def _string(body: dict[str, Any], key: str, limit: int = 2000) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"'{key}' is required and must be a non-empty string")
    if len(value) > limit:
        raise ApiError(400, f"'{key}' must be at most {limit} characters")
    return value.strip()


def _events(body: dict[str, Any]) -> list[str]:
    events = body.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise ApiError(400, "'events' must be a non-empty list of event names, e.g. page_updated")
    if unknown := unknown_events(events):
        raise ApiError(
            400,
            f"Unknown webhook event(s): {', '.join(unknown)}. "
            f"Known events: {', '.join(sorted(KNOWN_EVENTS))}",
        )
    return events


def _configuration(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    config = body.get("configuration")
    if config is None:
        return "", {}
    if not isinstance(config, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in config.items()
    ):
        raise ApiError(400, "'configuration' must be an object of string values, e.g. {secret}")
    secret = config.get("secret", "")
    if len(secret) > MAX_SECRET:
        raise ApiError(400, f"'configuration.secret' must be at most {MAX_SECRET} characters")
    return secret, {k: v for k, v in config.items() if k != "secret"}


async def create_webhook(ctx: Ctx) -> Response:
    """POST /webhooks: register ``{name, url, events, configuration:{secret}, active}``; 201."""
    _admin(ctx)
    body = await json_object(ctx)
    name = _string(body, "name", MAX_NAME)
    url = _string(body, "url")
    if problem := url_problem(url):
        raise ApiError(400, f"Invalid 'url': {problem}")
    events = _events(body)
    secret, configuration = _configuration(body)
    active = body.get("active", True)
    if not isinstance(active, bool):
        raise ApiError(400, "'active' must be true or false")
    hook = _hub(ctx).register(
        name=name,
        url=url,
        events=events,
        secret=secret,
        active=active,
        configuration=configuration,
    )
    return ok(webhook_json(ctx, hook), status=201)


async def list_webhooks(ctx: Ctx) -> Response:
    """GET /webhooks: every registration (``event`` filters), v1 start/limit paging."""
    _admin(ctx)
    event = ctx.params.get("event")
    hooks = [h for h in _hub(ctx).registered if not event or event in h.events]
    return ok(v1_collection(ctx, hooks, lambda h: webhook_json(ctx, h)))


def _by_id(ctx: Ctx) -> tuple[WebhookHub, int]:
    _admin(ctx)
    raw = ctx.path_param("id")
    hub = _hub(ctx)
    if not raw.isdigit() or hub.get(int(raw)) is None:
        raise ApiError(404, f"No webhook found with id: {raw}")
    return hub, int(raw)


async def get_webhook(ctx: Ctx) -> Response:
    """GET /webhooks/{id}."""
    hub, hook_id = _by_id(ctx)
    hook = hub.get(hook_id)
    assert hook is not None
    return ok(webhook_json(ctx, hook))


async def delete_webhook(ctx: Ctx) -> Response:
    """DELETE /webhooks/{id} → 204."""
    hub, hook_id = _by_id(ctx)
    hub.remove(hook_id)
    return Response(status_code=204)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/webhooks", list_webhooks, "v1"),
    Endpoint("POST", "/webhooks", create_webhook, "v1"),
    Endpoint("GET", "/webhooks/{id}", get_webhook, "v1"),
    Endpoint("DELETE", "/webhooks/{id}", delete_webhook, "v1"),
]
