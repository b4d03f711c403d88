"""OAuth 2.0 (3LO) server: authorize, token with rotating refresh, accessible-resources."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from radex.confluence.emulator.model import Site


@dataclass
class OAuthClient:
    """A registered 3LO app."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()


@dataclass
class _Grant:
    username: str
    scopes: frozenset[str]
    client_id: str
    redirect_uri: str = ""


@dataclass
class OAuthServer:
    """Authorization codes, access tokens and single-use refresh tokens for one site."""

    site: Site
    ttl_s: int = 3600
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _refresh: dict[str, _Grant] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    def register(self, client_id: str, client_secret: str, *redirect_uris: str) -> OAuthClient:
        """Register an app (tests and `radex emulator serve` do this)."""
        client = OAuthClient(client_id, client_secret, tuple(redirect_uris))
        self.clients[client_id] = client
        return client

    def _mint(self, prefix: str) -> str:
        return (
            prefix
            + hashlib.sha256(f"{self.site.seed}:{prefix}:{next(self._seq)}".encode()).hexdigest()[
                :40
            ]
        )

    async def authorize(self, request: Request) -> Response:
        """Consent stand-in: redirect back with a code for the user named by `login_hint`."""
        q = request.query_params
        client = self.clients.get(q.get("client_id", ""))
        if client is None:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        redirect = q.get("redirect_uri", "")
        if client.redirect_uris and redirect not in client.redirect_uris:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "redirect_uri mismatch"},
                status_code=400,
            )
        if q.get("response_type") != "code" or q.get("audience") != "api.atlassian.com":
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "response_type=code and audience=api.atlassian.com"
                    " are required",
                },
                status_code=400,
            )
        hint = q.get("login_hint") or next(u.username for u in self.site.users.values() if u.admin)
        user = self.site.find_user(hint) or next(
            (u for u in self.site.users.values() if u.email == hint), None
        )
        if user is None:
            return JSONResponse({"error": "access_denied"}, status_code=400)
        code = self._mint("code-")
        self._codes[code] = _Grant(
            user.username, frozenset(q.get("scope", "").split()), client.client_id, redirect
        )
        params = {"code": code}
        if q.get("state"):
            params["state"] = q["state"]
        return RedirectResponse(f"{redirect}?{urlencode(params)}", status_code=302)

    async def token(self, request: Request) -> Response:
        """Exchange a code or a refresh token; every refresh returns a new refresh token."""
        if request.headers.get("content-type", "").startswith("application/json"):
            form = {str(k): str(v) for k, v in (await request.json()).items()}
        else:
            form = {k: str(v) for k, v in (await request.form()).items()}
        client = self.clients.get(form.get("client_id", ""))
        if client is None or client.client_secret != form.get("client_secret"):
            return JSONResponse(
                {"error": "access_denied", "error_description": "Unauthorized"}, status_code=401
            )
        kind = form.get("grant_type")
        if kind == "authorization_code":
            grant = self._codes.pop(form.get("code", ""), None)
            if (
                grant is None
                or grant.client_id != client.client_id
                or grant.redirect_uri != form.get("redirect_uri", grant.redirect_uri)
            ):
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Invalid authorization code"},
                    status_code=403,
                )
        elif kind == "refresh_token":
            grant = self._refresh.pop(form.get("refresh_token", ""), None)
            if grant is None or grant.client_id != client.client_id:
                return JSONResponse(
                    {
                        "error": "unauthorized_client",
                        "error_description": "refresh_token is invalid",
                    },
                    status_code=403,
                )
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        access = self.site.issue_token(
            grant.username,
            "oauth",
            scopes=grant.scopes,
            expires_at=self.site.clock() + timedelta(seconds=self.ttl_s),
        )
        body: dict[str, object] = {
            "access_token": access,
            "expires_in": self.ttl_s,
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }
        if "offline_access" in grant.scopes:
            refresh = self._mint("refresh-")
            self._refresh[refresh] = grant
            body["refresh_token"] = refresh
        return JSONResponse(body)

    async def accessible_resources(self, request: Request) -> Response:
        """The sites an access token may reach (one: this site)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        issued = self.site.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if (
            issued is None
            or issued.kind != "oauth"
            or (issued.expires_at is not None and issued.expires_at <= self.site.clock())
        ):
            return JSONResponse({"code": 401, "message": "Unauthorized"}, status_code=401)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(
            [
                {
                    "id": self.site.cloud_id,
                    "url": origin,
                    "name": self.site.title,
                    "scopes": sorted(issued.scopes or ()),
                    "avatarUrl": f"{origin}/avatars/site.png",
                }
            ]
        )
