"""Connected Confluence sites: check a credential, learn who it acts as, keep it encrypted."""

from __future__ import annotations

import json
from typing import Any

import httpx

from radex.confluence.auth import (
    ApiToken,
    BasicAuth,
    Credential,
    PersonalAccessToken,
    ScopedApiToken,
    SiteUrls,
)
from radex.confluence.client import ConfluenceClient
from radex.errors import ConfigError
from radex.security.vault import CredentialVault
from radex.store import Store
from radex.store.records import SourceRecord


def credential_secret(credential: Credential) -> dict[str, Any]:
    """The credential as a JSON-ready dict (to be encrypted, never stored in the clear)."""
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


def credential_from_secret(kind: str, data: dict[str, Any]) -> Credential:
    """The credential :func:`credential_secret` wrote."""
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
    ) -> None:
        self.store, self.vault = store, vault
        self.transport = transport
        self.gateway, self.auth_url = gateway, auth_url

    def urls(self, url: str, credential: Credential) -> SiteUrls:
        """Where the site, its gateway and auth server are."""
        extra = {k: v for k, v in (("gateway", self.gateway), ("auth", self.auth_url)) if v}
        return SiteUrls.for_site(url, credential.deployment, **extra)

    def client(self, url: str, credential: Credential) -> ConfluenceClient:
        """A client for a site (the caller enters and leaves it)."""
        return ConfluenceClient.connect(
            self.urls(url, credential), credential, transport=self.transport
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

    def credential(self, source: SourceRecord) -> Credential:
        """The source's credential, decrypted."""
        plain = self.vault.decrypt(source.credential_ciphertext, source.credential_key_id)
        return credential_from_secret(source.credential_kind, json.loads(plain))

    def open(self, source: SourceRecord) -> ConfluenceClient:
        """A client for a connected source."""
        return self.client(source.base_url, self.credential(source))
