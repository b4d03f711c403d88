"""The client every importer, sync job and agent write goes through (shared machinery)."""

from __future__ import annotations

import asyncio
import os
import ssl
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar, Literal, TypeVar

import httpx

from radex.confluence.auth import Credential, SiteUrls
from radex.confluence.client import parse
from radex.confluence.client.limiter import LimitConfig, SiteLimiter, Sleep, limiter_for
from radex.confluence.client.observe import Observer
from radex.confluence.client.pagination import Listing, walk_v1
from radex.confluence.client.transport import RetryPolicy, Transport
from radex.confluence.client.validate import CredentialCheck, validate
from radex.errors import ConfigError, ConflictError, InputError, NotFoundError
from radex.types import (
    Attachment,
    Comment,
    ContentRef,
    Deployment,
    Group,
    Label,
    Page,
    PermissionOp,
    Person,
    Restriction,
    Space,
    SpacePermission,
    VersionInfo,
)

T = TypeVar("T")
PageKind = Literal["page", "blogpost"]
SearchItem = Page | Comment | Attachment | ContentRef
Json = dict[str, Any]
OAUTH_POINTS_PER_HOUR = 65_000
SEARCH_EXPAND = ("body.storage", "version", "space", "history", "ancestors", "metadata.labels")


def tls_context() -> ssl.SSLContext:
    """The TLS settings every client verifies servers with: the CA bundle (or
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``) read once per process, not once per client (a job
    opens a client per step, and reading the bundle takes tens of milliseconds)."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """:func:`tls_context` for these settings (the arguments are the cache key)."""
    try:
        return httpx.create_ssl_context()
    except OSError as exc:  # ssl.SSLError too: a file that holds no certificate
        what = f"SSL_CERT_FILE={cert_file}" if cert_file else "the CA certificate bundle"
        raise ConfigError(
            f"{what} cannot be read as CA certificates: {exc}",
            hint="point SSL_CERT_FILE at a PEM file holding the certificates to trust",
        ) from exc


class ConfluenceClient(ABC):
    """Async Confluence client for one site: Cloud (v2, v1 where v2 has no call) or Data Center.

    Build one with :meth:`connect`. Lists are :class:`Listing` async iterators (lazy, page by
    page). Errors are ``radex.errors`` values whose messages say what to do.
    """

    deployment: ClassVar[Deployment]

    def __init__(
        self,
        urls: SiteUrls,
        credential: Credential,
        *,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: SiteLimiter | None = None,
        limits: LimitConfig | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Sleep | None = None,
        observer: Observer | None = None,
        page_size: int | None = None,
    ) -> None:
        if credential.deployment != self.deployment:
            names = {"cloud": "Cloud", "dc": "Data Center"}
            raise InputError(
                f"a {credential.describe()} is for Confluence {names[credential.deployment]}, "
                f"but this client is for {names[self.deployment]}",
                hint="choose the credential kind that matches the site",
            )
        self.urls = urls
        self.credential = credential
        self._spaces: dict[str, Space] = {}  # by key: the spaces this client has read
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            transport=transport, timeout=timeout, verify=tls_context()
        )
        self.observer = observer or Observer()
        if limiter is None:
            cfg = limits or LimitConfig()
            if credential.kind == "oauth" and cfg.points_per_hour is None:
                cfg = replace(cfg, points_per_hour=OAUTH_POINTS_PER_HOUR)
            limiter = (
                SiteLimiter(cfg, sleep=sleep)
                if sleep is not None
                else limiter_for(self._limiter_key(), cfg)
            )
        self.limiter = limiter
        self.transport = Transport(
            self.http,
            credential,
            limiter,
            self.observer,
            policy=retry,
            sleep=sleep or asyncio.sleep,
        )
        self.page_size = page_size

    # ---- construction -----------------------------------------------------------------------

    @staticmethod
    def connect(site: str | SiteUrls, credential: Credential, **options: Any) -> ConfluenceClient:
        """The client for the credential's deployment (Cloud or Data Center)."""
        from radex.confluence.client.cloud import CloudClient
        from radex.confluence.client.dc import DataCenterClient

        urls = (
            site if isinstance(site, SiteUrls) else SiteUrls.for_site(site, credential.deployment)
        )
        if credential.deployment == "cloud":
            return CloudClient(urls, credential, **options)
        return DataCenterClient(urls, credential, **options)

    def _limiter_key(self) -> str:
        scope = self.credential.quota_scope
        return f"{self.deployment}:{self.urls.site}" + (f":{scope}" if scope else "")

    async def __aenter__(self) -> ConfluenceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client when this object created it."""
        if self._owns_http:
            await self.http.aclose()

    # ---- plumbing ---------------------------------------------------------------------------

    @abstractmethod
    async def api_root(self) -> str:
        """The site's REST root: ``…/wiki`` on Cloud (site or gateway), the base URL on DC."""

    async def v1(self, path: str) -> str:
        """Absolute URL of a v1 path (``/content/…``)."""
        return f"{await self.api_root()}/rest/api{path}"

    async def get_json(self, url: str, **kw: Any) -> Any:
        """GET and decode JSON (transport errors already mapped)."""
        resp = await self.transport.request("GET", url, **kw)
        return resp.json()

    def _listing(self, name: str, walk: Callable[[Listing[T]], AsyncIterator[T]]) -> Listing[T]:
        return Listing(walk, name)

    def _size(self, default: int) -> int:
        return min(self.page_size, default) if self.page_size else default

    # ---- reads (per deployment) -------------------------------------------------------------

    @abstractmethod
    def spaces(self, keys: Sequence[str] | None = None) -> Listing[Space]:
        """Spaces the credential may view (optionally only these keys)."""

    async def space(self, key: str, *, fresh: bool = False) -> Space:
        """One space by key (read once per client; ``fresh``: read again, to learn that it
        still exists)."""
        if not fresh and key in self._spaces:
            return self._spaces[key]
        self._spaces.pop(key, None)
        space = await self._read_space(key)
        self._remember(space)
        return space

    @abstractmethod
    async def _read_space(self, key: str) -> Space:
        """One space by key, from the site."""

    def known_spaces(self) -> list[Space]:
        """The spaces this client has read, to hand to the next client of the same job."""
        return list(self._spaces.values())

    def remember_spaces(self, spaces: Iterable[Space]) -> None:
        """Take the spaces an earlier client of this site read, so as not to read them again."""
        for space in spaces:
            self._remember(space)

    def _remember(self, space: Space) -> None:
        self._spaces[space.key] = space

    @abstractmethod
    def pages(
        self,
        space_key: str,
        *,
        kind: PageKind = "page",
        status: Sequence[str] = ("current",),
        body: bool = True,
    ) -> Listing[Page]:
        """Pages (or blog posts) of a space, with storage bodies unless ``body=False``."""

    def blog_posts(self, space_key: str, *, body: bool = True) -> Listing[Page]:
        """Blog posts of a space."""
        return self.pages(space_key, kind="blogpost", body=body)

    def trashed(self, space_key: str, *, kind: PageKind = "page") -> Listing[Page]:
        """Trashed pages (or blog posts) of a space, without bodies."""
        return self.pages(space_key, kind=kind, status=("trashed",), body=False)

    @abstractmethod
    async def page(
        self, page_id: str, *, version: int | None = None, kind: PageKind = "page"
    ) -> Page:
        """A page (or blog post) with its storage body, optionally at an older version."""

    @abstractmethod
    def children(self, page_id: str) -> Listing[ContentRef]:
        """Direct children of a page, in tree order."""

    @abstractmethod
    def descendants(self, page_id: str) -> Listing[ContentRef]:
        """Every page below a page (each with its parent id)."""

    @abstractmethod
    async def ancestors(self, page_id: str) -> list[ContentRef]:
        """The ancestors of a page, root first."""

    @abstractmethod
    def comments(self, content_id: str, *, kind: PageKind = "page") -> Listing[Comment]:
        """Footer and inline comments (resolved ones too) with their replies, each reply
        after its parent."""

    @abstractmethod
    def labels(self, content_id: str, *, kind: PageKind = "page") -> Listing[Label]:
        """Labels on a page or blog post."""

    @abstractmethod
    def attachments(self, content_id: str, *, kind: PageKind = "page") -> Listing[Attachment]:
        """Current attachments of a page or blog post."""

    @abstractmethod
    async def download(self, attachment: Attachment) -> bytes:
        """The bytes of an attachment's current version."""

    @abstractmethod
    def versions(self, content_id: str, *, kind: PageKind = "page") -> Listing[VersionInfo]:
        """Every version of a page or blog post."""

    @abstractmethod
    async def space_permissions(self, space_key: str) -> list[SpacePermission]:
        """Space permissions (group principals by name, anonymous as ``anyone``)."""

    @abstractmethod
    async def users(self, ids: Iterable[str]) -> list[Person]:
        """People by accountId (Cloud) or userKey (DC); unknown ids are left out."""

    @abstractmethod
    def groups(self) -> Listing[Group]:
        """Every group."""

    @abstractmethod
    def group_members(self, group: Group) -> Listing[Person]:
        """Members of a group."""

    def member_of(self, person: Person) -> Listing[Group]:
        """The groups a person belongs to (v1 ``/user/memberof``, both deployments)."""
        param = "accountId" if self.deployment == "cloud" else "key"

        async def walk(listing: Listing[Group]) -> AsyncIterator[Group]:
            url = await self.v1("/user/memberof")
            params = {param: person.id}
            async for item in walk_v1(self.transport, listing, url, params, limit=self._size(200)):
                yield parse.group_v1(item)

        return self._listing(f"groups of {person.id}", walk)

    @abstractmethod
    def search(self, cql: str, *, expand: Sequence[str] = SEARCH_EXPAND) -> Listing[SearchItem]:
        """Content matching a CQL query, with the given expansions."""

    @abstractmethod
    async def _post_page(
        self, space_key: str, title: str, body: str, parent_id: str | None, kind: PageKind
    ) -> Page:
        """Create content on the wire."""

    @abstractmethod
    async def _put_page(
        self,
        current: Page,
        *,
        title: str,
        body: str,
        number: int,
        message: str,
        minor_edit: bool,
        parent_id: str | None,
    ) -> Page:
        """Write a new version on the wire."""

    @abstractmethod
    async def trash(self, content_id: str, *, kind: PageKind = "page") -> None:
        """Move a page or blog post to the trash."""

    # ---- v1 calls both deployments share ----------------------------------------------------

    async def current_user(self) -> Person:
        """The person the credential acts as (``kind='anonymous'`` when none)."""
        return parse.person_v1(await self.get_json(await self.v1("/user/current"), identity=True))

    async def restrictions(self, content_id: str) -> dict[PermissionOp, Restriction]:
        """Direct read and update restrictions of content (ancestors' are not included)."""
        url = await self.v1(f"/content/{content_id}/restriction/byOperation")
        params = {"expand": "restrictions.user,restrictions.group"}
        return parse.restrictions_v1(await self.get_json(url, params=params, identity=True))

    async def can(
        self,
        content_id: str,
        subject_id: str,
        operation: PermissionOp = "read",
        *,
        subject: Literal["user", "group"] = "user",
    ) -> bool:
        """Whether a user (accountId / userKey) or group may read or update content."""
        url = await self.v1(f"/content/{content_id}/permission/check")
        payload = {"subject": {"type": subject, "identifier": subject_id}, "operation": operation}
        resp = await self.transport.request(
            "POST", url, json=payload, idempotent=True, identity=True
        )
        return bool(resp.json().get("hasPermission", False))

    async def add_labels(self, content_id: str, names: Iterable[str]) -> list[Label]:
        """Add global labels (existing ones stay); returns every label now on the content."""
        wanted = [n.strip().lower() for n in names if n.strip()]
        bad = [n for n in wanted if any(c.isspace() for c in n)]
        if bad:
            raise InputError(
                f"labels cannot contain spaces: {', '.join(bad)}", hint="use - or _ instead"
            )
        url = await self.v1(f"/content/{content_id}/label")
        payload = [{"prefix": "global", "name": n} for n in wanted]
        resp = await self.transport.request("POST", url, json=payload, idempotent=True)
        body = resp.json()
        items = body.get("results", []) if isinstance(body, dict) else body
        return [parse.label(x) for x in items]

    async def remove_label(self, content_id: str, name: str) -> None:
        """Remove one label (a missing label is not an error)."""
        if "/" in name:
            url = await self.v1(f"/content/{content_id}/label")
            params: dict[str, str] | None = {"name": name}
        else:
            url = await self.v1(f"/content/{content_id}/label/{name}")
            params = None
        try:
            await self.transport.request("DELETE", url, params=params)
        except NotFoundError:
            present = await self.labels(content_id).collect()
            if any(lab.name == name for lab in present):
                raise

    async def upload_attachment(
        self,
        content_id: str,
        filename: str,
        data: bytes,
        *,
        media_type: str = "application/octet-stream",
        comment: str = "",
        minor_edit: bool = True,
    ) -> Attachment:
        """Attach a file (a new version when the filename exists) and return it."""
        url = await self.v1(f"/content/{content_id}/child/attachment")
        form = {"minorEdit": "true" if minor_edit else "false"}
        if comment:
            form["comment"] = comment
        resp = await self.transport.request(
            "PUT",
            url,
            files={"file": (filename, data, media_type)},
            data=form,
            headers={"X-Atlassian-Token": "nocheck"},
            idempotent=False,
        )
        results = resp.json().get("results", [])
        if not results:
            raise NotFoundError(f"the upload of {filename} returned no attachment")
        return parse.attachment_v1(results[0], container_id=content_id)

    # ---- writes -----------------------------------------------------------------------------

    async def create_page(
        self,
        space_key: str,
        title: str,
        body: str,
        *,
        parent_id: str | None = None,
        kind: PageKind = "page",
    ) -> Page:
        """Create a page (or blog post) with a storage-format body."""
        if not title.strip():
            raise InputError("a page needs a title")
        return await self._post_page(space_key, title, body, parent_id, kind)

    async def update_page(
        self,
        page_id: str,
        *,
        version: int,
        title: str | None = None,
        body: str | None = None,
        message: str = "",
        minor_edit: bool = False,
        parent_id: str | None = None,
        kind: PageKind = "page",
    ) -> Page:
        """Write version ``version + 1``, where ``version`` is the one the edit was based on.

        If the page moved on meanwhile, nothing is written and :class:`ConflictError` says
        which version is current; the caller re-reads, merges and tries again.
        """
        current = await self.page(page_id, kind=kind)
        if current.version.number != version:
            raise self._conflict(page_id, current.version.number, version)
        new_title = title if title is not None else current.title
        new_body = body if body is not None else (current.body or "")
        try:
            page = await self._put_page(
                current,
                title=new_title,
                body=new_body,
                number=version + 1,
                message=message,
                minor_edit=minor_edit,
                parent_id=parent_id,
            )
        except ConflictError:
            latest = await self.page(page_id, kind=kind)
            if latest.version.number == version + 1 and (latest.title, latest.body) == (
                new_title,
                new_body,
            ):
                return latest  # our own write landed (a retried request saw it as a conflict)
            raise self._conflict(page_id, latest.version.number, version) from None
        return page if page.body is not None else replace(page, body=new_body)

    async def move_page(
        self, page_id: str, new_parent_id: str, *, version: int | None = None
    ) -> Page:
        """Put a page under another parent in its space (a new version, body unchanged)."""
        current = await self.page(page_id)
        return await self.update_page(
            page_id,
            version=current.version.number if version is None else version,
            parent_id=new_parent_id,
            message="moved",
            minor_edit=True,
        )

    @staticmethod
    def _conflict(page_id: str, current: int, based_on: int) -> ConflictError:
        return ConflictError(
            f"page {page_id} is at version {current}, but the edit was based on version "
            f"{based_on}; nothing was written",
            hint="re-read the page, merge the changes and try again",
        )

    # ---- credential check -------------------------------------------------------------------

    async def validate(self) -> CredentialCheck:
        """Check the credential against the site now; say what is wrong in plain words."""
        return await validate(self)
