"""Helpers for the client tests (no tests here): virtual time, credentials, emulator clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from emulator_kit import BASE

from radex.confluence.auth import (
    ApiToken,
    BasicAuth,
    Credential,
    OAuth3LO,
    OAuthApp,
    PersonalAccessToken,
    ScopedApiToken,
    SiteUrls,
    complete_authorization,
)
from radex.confluence.client import ConfluenceClient, LimitConfig, RetryPolicy, SiteLimiter
from radex.confluence.emulator.app import Emulator

FAST = LimitConfig(rate=10_000, burst=10_000, max_concurrency=8)
REDIRECT = "http://radex.test/oauth/callback"
ALL_SCOPES = frozenset(
    {
        "read:space:confluence",
        "read:page:confluence",
        "read:hierarchical-content:confluence",
        "read:content.metadata:confluence",
        "read:comment:confluence",
        "read:attachment:confluence",
        "read:label:confluence",
        "read:user:confluence",
        "read:group:confluence",
        "read:confluence-content.all",
        "read:confluence-content.permission",
        "read:confluence-user",
        "read:confluence-groups",
        "read:confluence-space.summary",
        "read:confluence-props",
        "read:content-details:confluence",
        "read:space.permission:confluence",
        "search:confluence",
        "write:page:confluence",
        "write:confluence-content",
        "write:confluence-file",
        "write:label:confluence",
        "delete:page:confluence",
        "read:content.restriction:confluence",
        "read:content.permission:confluence",
        "read:content:confluence",
        "read:folder:confluence",
        "write:attachment:confluence",
        "write:content:confluence",
        "write:comment:confluence",
        "delete:content:confluence",
        "offline_access",
    }
)


class VirtualTime:
    """A clock that only moves when someone sleeps: waits are recorded, never sat out."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        """Seconds on the virtual clock."""
        return self.now

    def wall(self) -> float:
        """Epoch seconds on the virtual clock."""
        return 1_767_225_600.0 + self.now  # 2026-01-01T00:00:00Z at start

    async def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def urls(emu: Emulator) -> SiteUrls:
    """Site, gateway and auth server all on the emulator's ASGI app."""
    site = BASE + (emu.config.context_path if emu.config.flavor == "dc" else "")
    return SiteUrls(site=site, gateway=BASE, auth=BASE)


def token_for(emu: Emulator, username: str) -> Credential:
    """The flavour's usual credential for a user: API token (Cloud) or PAT (DC)."""
    user = emu.site.users[username]
    if emu.config.flavor == "cloud":
        return ApiToken(user.email, user.secret)
    return PersonalAccessToken(emu.site.issue_token(username, "pat"))


def scoped_for(emu: Emulator, username: str, scopes: frozenset[str] = ALL_SCOPES) -> Credential:
    """A scoped API token (gateway only)."""
    user = emu.site.users[username]
    return ScopedApiToken(user.email, emu.site.issue_token(username, "scoped", scopes=scopes))


def basic_for(emu: Emulator, username: str) -> Credential:
    """Data Center username + password."""
    user = emu.site.users[username]
    return BasicAuth(user.username, user.secret)


def asgi_http(emu: Emulator, **kw: Any) -> httpx.AsyncClient:
    """An httpx client whose every request lands on the emulator."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), **kw)


def oauth_app(emu: Emulator, scopes: frozenset[str] = ALL_SCOPES) -> OAuthApp:
    """A registered 3LO app whose servers are the emulator."""
    emu.oauth.register("radex-test", "s3cret", REDIRECT)
    return OAuthApp(
        client_id="radex-test",
        client_secret="s3cret",
        redirect_uri=REDIRECT,
        scopes=tuple(sorted(scopes)),
        auth_url=BASE,
        gateway_url=BASE,
        authorize_path=emu.config.oauth_authorize_path,
        token_path=emu.config.oauth_token_path,
        resources_path=emu.config.accessible_resources_path,
    )


async def oauth_dance(
    emu: Emulator,
    http: httpx.AsyncClient,
    username: str,
    *,
    scopes: frozenset[str] = ALL_SCOPES,
    saved: list[Any] | None = None,
    clock: Any = None,
) -> OAuth3LO:
    """Consent as ``username`` in the emulated browser, then complete the callback."""
    app = oauth_app(emu, scopes)
    request = app.authorization_url(login_hint=username)
    consent = await http.get(request.url)
    assert consent.status_code == 302, consent.text
    callback = urlsplit(consent.headers["location"])
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == REDIRECT
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return await complete_authorization(
        app,
        http,
        code=query["code"],
        returned_state=query.get("state"),
        expected_state=request.state,
        site_url=BASE,
        on_tokens=saved.append if saved is not None else None,
        **extra,
    )


@asynccontextmanager
async def client_on(
    emu: Emulator,
    credential: Credential,
    *,
    vt: VirtualTime | None = None,
    limits: LimitConfig = FAST,
    retry: RetryPolicy | None = None,
    http: httpx.AsyncClient | None = None,
    **options: Any,
) -> AsyncIterator[ConfluenceClient]:
    """A client on the emulator over ASGI, with virtual time for every wait."""
    vt = vt or VirtualTime()
    own = http is None
    http = http or asgi_http(emu)
    limiter = SiteLimiter(limits, clock=vt.monotonic, sleep=vt.sleep, wall=vt.wall)
    client = ConfluenceClient.connect(
        urls(emu), credential, http=http, limiter=limiter, sleep=vt.sleep, retry=retry, **options
    )
    try:
        yield client
    finally:
        await client.aclose()
        if own:
            await http.aclose()


def v1_read_calls(emu: Emulator) -> dict[str, int]:
    """Emulator request counts of deprecated v1 reads (what Cloud must not call)."""
    deprecated = {
        "GET v1:/content",
        "GET v1:/content/{id}",
        "GET v1:/space",
        "GET v1:/space/{spaceKey}",
        "GET v1:/content/{id}/child/{type}",
        "GET v1:/content/{id}/child",
        "GET v1:/content/{id}/child/attachment",
        "GET v1:/content/{id}/descendant/{type}",
        "GET v1:/content/{id}/label",
        "GET v1:/content/{id}/version",
    }
    return {k: v for k, v in emu.requests.items() if k in deprecated}
