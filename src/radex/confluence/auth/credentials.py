"""Credentials for Confluence Cloud and Data Center, and where each one is sent."""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from radex.errors import InputError
from radex.types import Deployment

CredentialKind = Literal["api_token", "scoped_token", "oauth", "pat", "basic"]

ATLASSIAN_GATEWAY = "https://api.atlassian.com"
ATLASSIAN_AUTH = "https://auth.atlassian.com"


@dataclass(frozen=True)
class SiteUrls:
    """Where a Confluence site lives: the site itself, the API gateway and the OAuth server.

    ``site`` is the Cloud site origin (``https://acme.atlassian.net``; a trailing ``/wiki`` is
    dropped) or the Data Center base including any context path (``https://wiki.corp/confluence``).
    ``gateway`` and ``auth`` default to Atlassian's; point them at an emulator in tests.
    """

    site: str
    gateway: str = ATLASSIAN_GATEWAY
    auth: str = ATLASSIAN_AUTH

    @classmethod
    def for_site(
        cls,
        site: str,
        deployment: Deployment,
        *,
        gateway: str = ATLASSIAN_GATEWAY,
        auth: str = ATLASSIAN_AUTH,
    ) -> SiteUrls:
        """Normalised URLs: Cloud keeps the origin only, Data Center keeps its context path."""
        return cls(normalise_site_url(site, deployment), gateway.rstrip("/"), auth.rstrip("/"))


def normalise_site_url(url: str, deployment: Deployment) -> str:
    """The site base without trailing slash; Cloud drops ``/wiki…``, DC keeps its context path."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"'{url}' is not a site URL",
            hint="give the address you open in a browser, e.g. https://acme.atlassian.net",
        )
    path = parts.path.rstrip("/")
    if deployment == "cloud":
        path = ""
    else:
        for marker in ("/rest/api", "/display/", "/pages/", "/spaces/", "/dashboard.action"):
            if marker in path:
                path = path[: path.index(marker)]
        path = path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class Credential(ABC):
    """How requests to one Confluence site are authenticated."""

    kind: ClassVar[CredentialKind]
    deployment: ClassVar[Deployment]
    via_gateway: ClassVar[bool] = False  # Cloud: requests go through the API gateway

    @abstractmethod
    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        """The headers that authenticate one request (sent pre-emptively)."""

    async def refresh(self, http: httpx.AsyncClient) -> bool:
        """Renew the credential after a 401; True when a retry may now succeed."""
        return False

    @abstractmethod
    def describe(self) -> str:
        """Who this credential is, in words, without the secret."""

    @property
    def cloud_id(self) -> str | None:
        """The Cloud site id this credential is bound to, when known."""
        return None

    @property
    def quota_scope(self) -> str:
        """Whose rate quota the requests spend beyond the site's ("" = the site's only)."""
        return ""


def basic_header(login: str, secret: str) -> dict[str, str]:
    """``Authorization: Basic base64(login:secret)``."""
    raw = base64.b64encode(f"{login}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@dataclass(frozen=True, repr=False)
class ApiToken(Credential):
    """A classic Cloud API token: Basic ``email:token`` sent to the site itself."""

    email: str
    token: str
    kind: ClassVar[CredentialKind] = "api_token"
    deployment: ClassVar[Deployment] = "cloud"

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        """Basic auth, pre-emptively (anonymous access could otherwise answer)."""
        return basic_header(self.email, self.token)

    def describe(self) -> str:
        """The account email."""
        return f"API token of {self.email}"

    def __repr__(self) -> str:
        return f"ApiToken(email={self.email!r})"


@dataclass(frozen=True, repr=False)
class ScopedApiToken(Credential):
    """A scoped Cloud API token: Basic ``email:token``, only through the API gateway."""

    email: str
    token: str
    site_cloud_id: str | None = None  # discovered from /_edge/tenant_info when absent
    kind: ClassVar[CredentialKind] = "scoped_token"
    deployment: ClassVar[Deployment] = "cloud"
    via_gateway: ClassVar[bool] = True

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        """Basic auth, pre-emptively."""
        return basic_header(self.email, self.token)

    def describe(self) -> str:
        """The account email."""
        return f"scoped API token of {self.email}"

    @property
    def cloud_id(self) -> str | None:
        """The cloudId, when given."""
        return self.site_cloud_id

    def __repr__(self) -> str:
        return f"ScopedApiToken(email={self.email!r}, cloud_id={self.site_cloud_id!r})"


@dataclass(frozen=True, repr=False)
class PersonalAccessToken(Credential):
    """A Data Center personal access token, sent as ``Authorization: Bearer``."""

    token: str
    kind: ClassVar[CredentialKind] = "pat"
    deployment: ClassVar[Deployment] = "dc"

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        """Bearer auth."""
        return {"Authorization": f"Bearer {self.token}"}

    def describe(self) -> str:
        """A PAT says nothing about its owner until the server is asked."""
        return "personal access token"

    def __repr__(self) -> str:
        return "PersonalAccessToken(…)"


@dataclass(frozen=True, repr=False)
class BasicAuth(Credential):
    """Data Center username and password (or a PAT as the password)."""

    username: str
    password: str
    kind: ClassVar[CredentialKind] = "basic"
    deployment: ClassVar[Deployment] = "dc"

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        """Basic auth, pre-emptively."""
        return basic_header(self.username, self.password)

    def describe(self) -> str:
        """The username."""
        return f"password of {self.username}"

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r})"
