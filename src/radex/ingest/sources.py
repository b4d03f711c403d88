"""Connected Confluence sites: check a credential, learn who it acts as, keep it encrypted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from radex.confluence.auth import (
    ApiToken,
    BasicAuth,
    Credential,
    OAuth3LO,
    OAuthApp,
    OAuthTokens,
    PersonalAccessToken,
    ScopedApiToken,
    SiteUrls,
)
from radex.confluence.client import ConfluenceClient
from radex.confluence.client.limiter import LimitConfig
from radex.errors import ConfigError
from radex.ingest.oauth_login import CallbackServer, oauth_login
from radex.security.vault import CredentialVault
from radex.store import Store
from radex.store.records import SourceRecord

_APP_FIELDS = (
    "client_id",
    "client_secret",
    "redirect_uri",
    "auth_url",
    "gateway_url",
    "authorize_path",
    "token_path",
    "resources_path",
)


def _tokens_data(tokens: OAuthTokens) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "expires_at": tokens.expires_at,
        "refresh_token": tokens.refresh_token,
        "scopes": sorted(tokens.scopes),
    }


def credential_secret(credential: Credential) -> dict[str, Any]:
    """The credential as a JSON-ready dict (to be encrypted, never stored in the clear)."""
    if isinstance(credential, OAuth3LO):
        app = {f: getattr(credential.app, f) for f in _APP_FIELDS}
        app["scopes"] = list(credential.app.scopes)
        tokens = _tokens_data(credential.tokens)
        return {"app": app, "tokens": tokens, "cloud_id": credential.cloud_id}
    if isinstance(credential, ScopedApiToken):
        return {
            "email": credential.email,
            "token": credential.token,
            "cloud_id": credential.site_cloud_id,
        }
    if isinstance(credential, ApiToken):
        return {"email": credential.email, "token": credential.token}
    if isinstance(credential, PersonalAccessToken):
        return {"token": credential.token}
    if isinstance(credential, BasicAuth):
        return {"username": credential.username, "password": credential.password}
    raise ConfigError(f"credentials of kind {credential.kind} cannot be stored yet")


def credential_from_secret(
    kind: str, data: dict[str, Any], on_tokens: Callable[[OAuthTokens], None] | None = None
) -> Credential:
    """The credential :func:`credential_secret` wrote (OAuth hands rotated tokens to
    ``on_tokens``)."""
    if kind == "oauth":
        app = OAuthApp(**{**data["app"], "scopes": tuple(data["app"]["scopes"])})
        t = data["tokens"]
        tokens = OAuthTokens(
            t["access_token"], t["expires_at"], t.get("refresh_token"), frozenset(t["scopes"])
        )
        return OAuth3LO(app, tokens, data["cloud_id"], on_tokens=on_tokens)
    if kind == "api_token":
        return ApiToken(data["email"], data["token"])
    if kind == "scoped_token":
        return ScopedApiToken(data["email"], data["token"], data.get("cloud_id"))
    if kind == "pat":
        return PersonalAccessToken(data["token"])
    if kind == "basic":
        return BasicAuth(data["username"], data["password"])
    raise ConfigError(f"stored credential has an unknown kind '{kind}'")


class Sources:
    """Connects sites and opens clients for them; credentials pass only through the vault."""

    def __init__(
        self,
        store: Store,
        vault: CredentialVault,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        gateway: str | None = None,
        auth_url: str | None = None,
        limits: LimitConfig | None = None,
    ) -> None:
        self.store, self.vault = store, vault
        self.limits = limits  # how hard each site may be driven (default: LimitConfig())
        self.transport = transport
        self.gateway, self.auth_url = gateway, auth_url

    def urls(self, url: str, credential: Credential) -> SiteUrls:
        """Where the site, its gateway and auth server are."""
        gateway, auth = self.gateway, self.auth_url
        if isinstance(credential, OAuth3LO):
            gateway, auth = credential.app.gateway_url, credential.app.auth_url
        extra = {k: v for k, v in (("gateway", gateway), ("auth", auth)) if v}
        return SiteUrls.for_site(url, credential.deployment, **extra)

    def client(self, url: str, credential: Credential) -> ConfluenceClient:
        """A client for a site (the caller enters and leaves it)."""
        return ConfluenceClient.connect(
            self.urls(url, credential), credential, transport=self.transport, limits=self.limits
        )

    async def connect(
        self, name: str, url: str, credential: Credential, *, replace: bool = False
    ) -> SourceRecord:
        """Check the credential, record who it acts as and their groups, and store it encrypted.

        Raises the error ``validate()`` names (wrong token, expired, not Confluence, ...);
        nothing is stored then.
        """
        async with self.client(url, credential) as client:
            check = await client.validate()
            check.raise_for_problem()
            me = await client.current_user()
            groups = [g.name async for g in client.member_of(me)]
        principals = [f"user:{me.id}", *(f"group:{g}" for g in sorted(set(groups)))]
        secret = json.dumps(credential_secret(credential)).encode()
        ciphertext, key_id = self.vault.encrypt(secret)
        return self.store.add_source(
            name=name,
            deployment=credential.deployment,
            base_url=self.urls(url, credential).site,
            credential_kind=credential.kind,
            ciphertext=ciphertext,
            key_id=key_id,
            principals=principals,
            account_id=me.id,
            display_name=me.display_name,
            replace=replace,
        )

    async def connect_oauth(
        self,
        name: str,
        url: str,
        app: OAuthApp,
        *,
        replace: bool = False,
        show_url: Callable[[str], None] = print,
        wait_s: float = 300.0,
    ) -> SourceRecord:
        """Sign in through the OAuth app in a browser, then connect as :meth:`connect` does."""
        port = urlsplit(app.redirect_uri).port or 0
        async with httpx.AsyncClient(transport=self.transport, timeout=30) as http:
            with CallbackServer(port) as callback:
                credential = await oauth_login(
                    app, site_url=url, show_url=show_url, http=http, callback=callback,
                    wait_s=wait_s,
                )  # fmt: skip
        return await self.connect(name, url, credential, replace=replace)

    def credential(self, source: SourceRecord) -> Credential:
        """The source's credential, decrypted; rotated OAuth tokens are saved as they arrive."""
        plain = self.vault.decrypt(source.credential_ciphertext, source.credential_key_id)
        data = json.loads(plain)

        def persist(tokens: OAuthTokens) -> None:
            data["tokens"] = _tokens_data(tokens)
            ciphertext, key_id = self.vault.encrypt(json.dumps(data).encode())
            self.store.update_source_credential(source.id, ciphertext, key_id)

        return credential_from_secret(source.credential_kind, data, persist)

    def open(self, source: SourceRecord) -> ConfluenceClient:
        """A client for a connected source."""
        return self.client(source.base_url, self.credential(source))
