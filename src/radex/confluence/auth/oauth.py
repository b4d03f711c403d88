"""OAuth 2.0 (3LO) for Confluence Cloud: consent URL, code exchange, site pick, rotating refresh."""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import httpx

from radex.confluence.auth.credentials import (
    ATLASSIAN_AUTH,
    ATLASSIAN_GATEWAY,
    Credential,
    CredentialKind,
)
from radex.errors import AuthError, InputError, TransientError
from radex.types import Deployment

log = logging.getLogger("radex.confluence.auth")

Clock = Callable[[], float]


@dataclass(frozen=True)
class OAuthApp:
    """A registered 3LO app and the servers it talks to (configurable for the emulator)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: tuple[str, ...] = ("read:confluence-content.all", "offline_access")
    auth_url: str = ATLASSIAN_AUTH
    gateway_url: str = ATLASSIAN_GATEWAY
    authorize_path: str = "/authorize"
    token_path: str = "/oauth/token"  # noqa: S105 - a URL path, not a secret
    resources_path: str = "/oauth/token/accessible-resources"

    def authorization_url(
        self, state: str | None = None, *, login_hint: str | None = None
    ) -> AuthorizationRequest:
        """The consent URL to send the user's browser to, and the state to check on return."""
        state = state or secrets.token_urlsafe(24)
        params = {
            "audience": "api.atlassian.com",
            "client_id": self.client_id,
            "scope": " ".join(self.scopes),
            "redirect_uri": self.redirect_uri,
            "state": state,
            "response_type": "code",
            "prompt": "consent",
        }
        if login_hint:
            params["login_hint"] = login_hint
        url = f"{self.auth_url.rstrip('/')}{self.authorize_path}?{urlencode(params)}"
        return AuthorizationRequest(url, state)


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and the ``state`` the callback must carry back."""

    url: str
    state: str


@dataclass(frozen=True)
class OAuthTokens:
    """An access token (with its expiry, epoch seconds) and the current refresh token."""

    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    scopes: frozenset[str] = frozenset()

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the access token expires in less than ``seconds``."""
        return self.expires_at - now < seconds


@dataclass(frozen=True)
class CloudSite:
    """One site an OAuth grant reaches (from accessible-resources)."""

    id: str  # the cloudId
    url: str
    name: str
    scopes: tuple[str, ...] = ()


TokenSink = Callable[[OAuthTokens], Awaitable[None] | None]


async def _post_token(
    app: OAuthApp, http: httpx.AsyncClient, form: dict[str, str], clock: Clock
) -> OAuthTokens:
    url = f"{app.auth_url.rstrip('/')}{app.token_path}"
    payload = {"client_id": app.client_id, "client_secret": app.client_secret, **form}
    try:
        resp = await http.post(url, json=payload)
    except httpx.HTTPError as exc:
        raise TransientError(
            f"could not reach the OAuth server at {app.auth_url}: {exc.__class__.__name__}",
            hint="check the network and the auth server URL, then try again",
        ) from exc
    body = _json(resp)
    if resp.status_code >= 500:
        raise TransientError(f"the OAuth server answered {resp.status_code}", hint="try again")
    if resp.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        raise _token_error(resp.status_code, body, form["grant_type"])
    scope = str(body.get("scope", ""))
    return OAuthTokens(
        access_token=str(body["access_token"]),
        expires_at=clock() + float(body.get("expires_in", 3600)),
        refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
        scopes=frozenset(scope.split()),
    )


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _token_error(status: int, body: Any, grant: str) -> AuthError:
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    detail = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    said = f" ({error}: {detail})" if error or detail else f" (HTTP {status})"
    if error == "access_denied" or status == 401:
        return AuthError(
            "the OAuth server rejected the app's client id or secret" + said,
            hint="copy the client id and secret again from the app's settings in the "
            "Atlassian developer console",
        )
    if grant == "refresh_token":
        return AuthError(
            "the refresh token was rejected: it expired after 90 days unused, was revoked, "
            "or was already used" + said,
            hint="connect to Confluence again (re-authorize RADEX in the browser)",
        )
    return AuthError(
        "the authorization code was rejected: it expired, was already used, or the redirect "
        "URL differs from the one in the consent request" + said,
        hint="start the authorization again from the beginning",
    )


async def exchange_code(
    app: OAuthApp,
    http: httpx.AsyncClient,
    code: str,
    *,
    returned_state: str | None = None,
    expected_state: str | None = None,
    clock: Clock = time.time,
) -> OAuthTokens:
    """Trade the callback's authorization code for tokens (checking ``state`` when given)."""
    if expected_state is not None and returned_state != expected_state:
        raise AuthError(
            "the OAuth callback carried a different state than the consent request",
            hint="start the authorization again; if it repeats, someone may be forging callbacks",
        )
    if not code:
        raise InputError("the OAuth callback has no authorization code", hint="authorize again")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    return await _post_token(app, http, form, clock)


async def refresh_tokens(
    app: OAuthApp, http: httpx.AsyncClient, refresh_token: str, *, clock: Clock = time.time
) -> OAuthTokens:
    """New tokens for a refresh token; the answer carries the next (rotated) refresh token."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    tokens = await _post_token(app, http, form, clock)
    if tokens.refresh_token is None:  # some servers keep the old one when not rotating
        tokens = OAuthTokens(tokens.access_token, tokens.expires_at, refresh_token, tokens.scopes)
    return tokens


async def accessible_resources(
    app: OAuthApp, http: httpx.AsyncClient, access_token: str
) -> list[CloudSite]:
    """The Cloud sites the grant reaches."""
    url = f"{app.gateway_url.rstrip('/')}{app.resources_path}"
    try:
        resp = await http.get(url, headers={"Authorization": f"Bearer {access_token}"})
    except httpx.HTTPError as exc:
        raise TransientError(
            f"could not reach {app.gateway_url}: {exc.__class__.__name__}", hint="try again"
        ) from exc
    if resp.status_code == 401:
        raise AuthError(
            "the access token was refused when listing accessible sites",
            hint="authorize again",
        )
    body = _json(resp)
    if resp.status_code != 200 or not isinstance(body, list):
        raise TransientError(f"accessible-resources answered HTTP {resp.status_code}")
    return [
        CloudSite(
            str(r.get("id", "")),
            str(r.get("url", "")).rstrip("/"),
            str(r.get("name", "")),
            tuple(str(s) for s in r.get("scopes", ())),
        )
        for r in body
        if isinstance(r, dict) and r.get("id")
    ]


def pick_site(sites: Sequence[CloudSite], site_url: str | None = None) -> CloudSite:
    """The granted site matching ``site_url`` (by host), or the only one granted."""
    if not sites:
        raise AuthError(
            "the authorization grants access to no Confluence site",
            hint="in the consent screen, choose the site RADEX should read",
        )
    if site_url:
        host = urlsplit(site_url if "://" in site_url else "https://" + site_url).netloc.lower()
        for s in sites:
            if urlsplit(s.url).netloc.lower() == host:
                return s
        raise AuthError(
            f"the authorization does not cover {site_url}; it covers "
            + ", ".join(s.url for s in sites),
            hint="authorize again and pick that site in the consent screen",
        )
    if len(sites) > 1:
        raise InputError(
            "the authorization covers several sites: " + ", ".join(s.url for s in sites),
            hint="say which site to use",
        )
    return sites[0]


class OAuth3LO(Credential):
    """Bearer access tokens through the gateway, refreshed before expiry.

    Refresh tokens rotate: each refresh returns a new one and invalidates the old. The new
    tokens are handed to ``on_tokens`` so the caller can persist them before they are used.
    """

    kind: ClassVar[CredentialKind] = "oauth"
    deployment: ClassVar[Deployment] = "cloud"
    via_gateway: ClassVar[bool] = True

    def __init__(
        self,
        app: OAuthApp,
        tokens: OAuthTokens,
        cloud_id: str,
        *,
        on_tokens: TokenSink | None = None,
        clock: Clock = time.time,
        refresh_margin_s: float = 60.0,
    ) -> None:
        self.app = app
        self.tokens = tokens
        self._cloud_id = cloud_id
        self._on_tokens = on_tokens
        self._clock = clock
        self._margin = refresh_margin_s
        self._locks: dict[int, asyncio.Lock] = {}
        self.refreshes = 0

    @property
    def cloud_id(self) -> str | None:
        """The site's cloudId."""
        return self._cloud_id

    @property
    def quota_scope(self) -> str:
        """OAuth apps have their own points budget."""
        return f"oauth:{self.app.client_id}"

    def describe(self) -> str:
        """The app."""
        return f"OAuth app {self.app.client_id}"

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        """Bearer auth, refreshing first when the access token is about to expire."""
        if self.tokens.expires_within(self._margin, self._clock()):
            await self._refresh(http, stale=self.tokens)
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    async def refresh(self, http: httpx.AsyncClient) -> bool:
        """Refresh after a 401 (once per stale token, however many requests saw it)."""
        if self.tokens.refresh_token is None:
            return False
        await self._refresh(http, stale=self.tokens)
        return True

    def _lock(self) -> asyncio.Lock:
        loop = id(asyncio.get_running_loop())
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _refresh(self, http: httpx.AsyncClient, *, stale: OAuthTokens) -> None:
        async with self._lock():
            if self.tokens is not stale:
                return  # another request refreshed while this one waited
            if self.tokens.refresh_token is None:
                raise AuthError(
                    "the OAuth access token expired and there is no refresh token",
                    hint="authorize again with the offline_access scope so RADEX can renew it",
                )
            tokens = await refresh_tokens(
                self.app, http, self.tokens.refresh_token, clock=self._clock
            )
            if self._on_tokens is not None:
                result = self._on_tokens(tokens)
                if inspect.isawaitable(result):
                    await result
            self.tokens = tokens
            self.refreshes += 1
            log.info(
                "oauth tokens refreshed",
                extra={"event": "confluence.oauth.refreshed", "client_id": self.app.client_id},
            )

    def __repr__(self) -> str:
        return f"OAuth3LO(client_id={self.app.client_id!r}, cloud_id={self._cloud_id!r})"


async def complete_authorization(
    app: OAuthApp,
    http: httpx.AsyncClient,
    *,
    code: str,
    returned_state: str | None,
    expected_state: str | None,
    site_url: str | None = None,
    on_tokens: TokenSink | None = None,
    clock: Clock = time.time,
) -> OAuth3LO:
    """The whole callback: check state, exchange the code, pick the site, build the credential."""
    tokens = await exchange_code(
        app,
        http,
        code,
        returned_state=returned_state,
        expected_state=expected_state,
        clock=clock,
    )
    if on_tokens is not None:
        result = on_tokens(tokens)
        if inspect.isawaitable(result):
            await result
    site = pick_site(await accessible_resources(app, http, tokens.access_token), site_url)
    return OAuth3LO(app, tokens, site.id, on_tokens=on_tokens, clock=clock)
