"""The emulator as an ASGI app: routes per flavour, wrapped in auth, faults, limits and counters."""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from radex.confluence.emulator import routes_search, routes_v1, routes_v1_webhooks, routes_v2
from radex.confluence.emulator.faults import FaultInjector
from radex.confluence.emulator.http import (
    Api,
    ApiError,
    Ctx,
    EmulatorConfig,
    Endpoint,
    error_response,
)
from radex.confluence.emulator.identity import authenticate
from radex.confluence.emulator.model import Site
from radex.confluence.emulator.oauth import OAuthServer
from radex.confluence.emulator.ratelimit import RateLimiter
from radex.confluence.emulator.webhooks import AppWebhook, WebhookHub, request_origin

V1_ENDPOINTS = [*routes_v1.ENDPOINTS, *routes_search.ENDPOINTS]
SEARCHES_KEPT = 10_000  # the CQL of the newest searches, for tests and benchmarks to read
DEPRECATION_DATE = "Sat, 01 Aug 2026 00:00:00 GMT"


@dataclass
class Emulator:
    """A running emulated site: its state, its wire behaviour and what it has counted."""

    site: Site
    config: EmulatorConfig
    oauth: OAuthServer
    faults: FaultInjector
    limiter: RateLimiter | None
    requests: Counter[str] = field(default_factory=Counter)
    searches: deque[str] = field(default_factory=lambda: deque(maxlen=SEARCHES_KEPT))
    app: Starlette = field(init=False)
    webhooks: WebhookHub = field(init=False)

    def __post_init__(self) -> None:
        self.webhooks = WebhookHub(self.site)
        self.site.listeners.append(self.webhooks.on_change)
        self.app = Starlette(routes=self._routes())
        self.app.state.emulator = self

    # ---- routing ----------------------------------------------------------------------------

    def _routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/_emulator/stats", self._stats, methods=["GET"]),
            Route("/_emulator/stats/reset", self._reset_stats, methods=["POST"]),
            Route("/_emulator/webhooks", self._webhook_stats, methods=["GET"]),
        ]
        if self.config.flavor == "cloud":
            routes += [
                Route("/_edge/tenant_info", self._tenant_info, methods=["GET"]),
                Route(self.config.oauth_authorize_path, self.oauth.authorize, methods=["GET"]),
                Route(
                    self.config.accessible_resources_path,
                    self.oauth.accessible_resources,
                    methods=["GET"],
                ),
                Route(self.config.oauth_token_path, self.oauth.token, methods=["POST"]),
            ]
            for gw in ("", "/ex/confluence/{cloud_id}"):
                routes += self._mount(f"{gw}/wiki/api/v2", routes_v2.ENDPOINTS, gw)
                routes += self._mount(f"{gw}/wiki/rest/api", V1_ENDPOINTS, gw)
                routes += self._mount(f"{gw}/wiki", routes_v1.SITE_ENDPOINTS, gw)
        else:
            ctx = self.config.context_path.rstrip("/")
            routes += self._mount(f"{ctx}/rest/api", V1_ENDPOINTS, "")
            routes += self._mount(f"{ctx}/rest/api", routes_v1_webhooks.ENDPOINTS, "")
            routes += self._mount(ctx, routes_v1.SITE_ENDPOINTS, "")
        return routes

    def _mount(self, prefix: str, endpoints: Iterable[Endpoint], gateway: str) -> list[BaseRoute]:
        def order(ep: Endpoint) -> list[tuple[bool, str]]:
            return [(seg.startswith("{"), seg) for seg in ep.path.split("/")]

        return [
            Route(prefix + ep.path, self._wrap(ep, via_gateway=bool(gateway)), methods=[ep.method])
            for ep in sorted(endpoints, key=order)
        ]

    # ---- the request pipeline ---------------------------------------------------------------

    def _wrap(self, ep: Endpoint, *, via_gateway: bool) -> Any:
        api: Api = "v2" if ep.api == "v2" else "v1"
        label = f"{ep.method} {ep.api}:{ep.path}"

        async def endpoint(request: Request) -> Response:
            self.requests[label] += 1
            if "cql" in request.query_params:
                self.searches.append(request.query_params["cql"])
            extra: dict[str, str] = {}
            try:
                if via_gateway and request.path_params.get("cloud_id") != self.site.cloud_id:
                    raise ApiError(404, "Site not found")
                if self.config.latency_ms:
                    await asyncio.sleep(self.config.latency_ms / 1000)
                await self._inject(request)
                caller = authenticate(request, self.site, via_gateway=via_gateway)
                if self.limiter is not None:
                    decision = self.limiter.take(caller.user.username if caller.user else "-")
                    extra.update(decision.headers)
                    if not decision.allowed:
                        raise ApiError(429, "Rate limit exceeded", headers=decision.headers)
                if ep.deprecated_read and self.config.flavor == "cloud":
                    extra.update(self._deprecation(caller.oauth))
                if caller.scopes is not None and ep.scopes and not caller.scopes & set(ep.scopes):
                    raise ApiError(401, "Unauthorized; scope does not match")
                root, context = self._root(request)
                ctx = Ctx(
                    self.site,
                    self.config,
                    request,
                    caller.user,
                    api,
                    via_gateway,
                    root,
                    context,
                    caller.scopes,
                )
                origin = request_origin.set(f"{request.url.scheme}://{request.url.netloc}")
                try:
                    response = await ep.handler(ctx)
                finally:
                    request_origin.reset(origin)
                self._check_poison(request, response)
            except ApiError as exc:
                headers = {**extra, **exc.headers}
                return error_response(api, exc.status, exc.message, headers)
            response.headers.update(extra)
            return response

        return endpoint

    async def _inject(self, request: Request) -> None:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        kind = self.faults.decide(request.method, target)
        if kind is None:
            return
        if kind == "timeout":
            await asyncio.sleep(self.config.fault_timeout_s)
            raise ApiError(504, "Gateway Timeout")
        if kind == "429":
            raise ApiError(429, "Rate limit exceeded", headers={"Retry-After": "1"})
        if kind == "429-no-retry-after":
            raise ApiError(429, "Rate limit exceeded")
        if kind == "503":
            raise ApiError(503, "Service Unavailable", headers={"Retry-After": "1"})
        raise ApiError(500, "Internal Server Error")

    def _deprecation(self, oauth: bool) -> dict[str, str]:
        mode = self.config.legacy_v1
        if mode == "gone" or oauth:
            raise ApiError(410, "This endpoint has been removed. Use the v2 API: /wiki/api/v2")
        if mode == "warn":
            return {
                "Deprecation": DEPRECATION_DATE,
                "Warning": f'299 - "Deprecated API, will be removed on {DEPRECATION_DATE}"',
            }
        return {}

    def _check_poison(self, request: Request, response: Response) -> None:
        poison = self.faults.spec.poison
        if not poison:
            return
        body = getattr(response, "body", b"")
        for pid in poison:
            if f"/{pid}" in request.url.path or f'"id":"{pid}"'.encode() in body:
                raise ApiError(500, "Internal Server Error")

    def _root(self, request: Request) -> tuple[str, str]:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        if self.config.flavor == "dc":
            context = self.config.context_path.rstrip("/")
            return origin + context, context
        cloud = request.path_params.get("cloud_id")
        prefix = f"/ex/confluence/{cloud}" if cloud else ""
        return f"{origin}{prefix}/wiki", f"{prefix}/wiki" if prefix else "/wiki"

    # ---- site-level endpoints ---------------------------------------------------------------

    async def _tenant_info(self, request: Request) -> Response:
        return JSONResponse({"cloudId": self.site.cloud_id})

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                "total": sum(self.requests.values()),
                "requests": dict(sorted(self.requests.items())),
                "faults": dict(self.faults.injected),
            }
        )

    async def _reset_stats(self, request: Request) -> Response:
        self.requests.clear()
        self.searches.clear()
        self.faults.injected.clear()
        return JSONResponse({"total": 0})

    async def _webhook_stats(self, request: Request) -> Response:
        return JSONResponse(self.webhooks.stats())


def create_emulator(
    site: Site, config: EmulatorConfig | None = None, *, app_webhooks: Sequence[AppWebhook] = ()
) -> Emulator:
    """Wire a site and a config into a servable emulator (``.app`` is the ASGI app).

    ``app_webhooks`` (Cloud only) subscribes Connect-style apps to the site's change events.
    """
    cfg = config or EmulatorConfig(flavor=site.flavor)
    if cfg.flavor != site.flavor:
        raise ValueError(f"config flavour {cfg.flavor} does not match the site's {site.flavor}")
    oauth = OAuthServer(site, ttl_s=cfg.access_token_ttl_s)
    limiter = RateLimiter(cfg.rate_limit, cfg.flavor) if cfg.rate_limit else None
    emu = Emulator(site, cfg, oauth, FaultInjector(cfg.faults, cfg.fault_seed), limiter)
    for hook in app_webhooks:
        emu.webhooks.add_app(hook)
    return emu
