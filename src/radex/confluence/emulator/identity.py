"""Who is calling: Basic, Bearer (OAuth or PAT) or anonymous, by the flavour's rules."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from starlette.requests import Request

from radex.confluence.emulator.http import ApiError
from radex.confluence.emulator.model import IssuedToken, Site, User


@dataclass(frozen=True)
class Caller:
    """The authenticated user (None = anonymous) and any scope limit on the credential."""

    user: User | None
    scopes: frozenset[str] | None = None
    oauth: bool = False


def authenticate(request: Request, site: Site, *, via_gateway: bool) -> Caller:
    """Resolve the caller, or raise a 401 in the flavour's words."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if not header:
        return _anonymous(site)
    if scheme == "basic":
        return _basic(site, value.strip(), via_gateway=via_gateway)
    if scheme == "bearer":
        return _bearer(site, value.strip(), via_gateway=via_gateway)
    raise ApiError(401, f"Unsupported authorization scheme '{scheme}'")


def _anonymous(site: Site) -> Caller:
    if site.anonymous_access:
        return Caller(None)
    if site.flavor == "dc":
        raise ApiError(401, "This resource requires authentication.")
    raise ApiError(401, "Unauthorized; scope does not match")


def _live(site: Site, token: IssuedToken | None) -> IssuedToken | None:
    if token is None:
        return None
    if token.expires_at is not None and token.expires_at <= site.clock():
        raise ApiError(401, "Token expired")
    return token


def _basic(site: Site, value: str, *, via_gateway: bool) -> Caller:
    try:
        login, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "Malformed basic authorization header") from None
    if site.flavor == "cloud":
        user = next((u for u in site.users.values() if u.email and u.email == login), None)
    else:
        user = site.users.get(login)
    if user is None or not user.active:
        raise ApiError(
            401,
            "Basic authentication with passwords is deprecated"
            if site.flavor == "cloud" and secret and "@" not in login
            else "Unauthorized",
        )
    if secret == user.secret:
        return Caller(user)
    token = _live(site, site.tokens.get(secret))
    if token is None or token.username != user.username or token.kind == "oauth":
        raise ApiError(401, "Unauthorized")
    if token.kind == "scoped" and not via_gateway:
        raise ApiError(401, "Unauthorized; scope does not match")
    return Caller(user, token.scopes if token.kind == "scoped" else None)


def _bearer(site: Site, value: str, *, via_gateway: bool) -> Caller:
    token = _live(site, site.tokens.get(value))
    if site.flavor == "dc":
        if token is not None and token.kind == "pat":
            return Caller(site.users[token.username])
        user = next((u for u in site.users.values() if u.secret == value), None)
        if user is not None:
            return Caller(user)
        if site.anonymous_access:  # CONFSERVER-98199: a bad PAT is served as anonymous
            return Caller(None)
        raise ApiError(401, "This resource requires authentication.")
    if token is None or token.kind != "oauth":
        raise ApiError(401, "Unauthorized")
    if not via_gateway:
        raise ApiError(401, "Unauthorized; scope does not match")
    return Caller(site.users[token.username], token.scopes, oauth=True)
