"""Confluence Cloud: REST v2 wherever v2 has the call, v1 only where it has none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

import httpx

from radex.confluence.client import parse
from radex.confluence.client.base import SEARCH_EXPAND, ConfluenceClient, PageKind, SearchItem
from radex.confluence.client.meet import walk_v2_from_both_ends
from radex.confluence.client.pagination import Listing, walk_v1, walk_v1_cursor, walk_v2
from radex.confluence.client.search import search_item
from radex.errors import InputError, NotFoundError, TransientError
from radex.types import (
    Attachment,
    Comment,
    CommentLocation,
    ContentRef,
    Group,
    Label,
    Page,
    Person,
    Space,
    SpacePermission,
    VersionInfo,
)

V2_MAX = 250
RESOLUTIONS = ("open", "reopened", "resolved", "dangling")
"""Every inline comment resolution status, asked for by name (v2 does not document which it
lists when none is given)."""
DESCENDANT_DEPTH = 10  # v2's maximum; deeper pages are reached from the ones at depth 10


def _plural(kind: PageKind) -> str:
    return "pages" if kind == "page" else "blogposts"


class CloudClient(ConfluenceClient):
    """Confluence Cloud, by API token on the site or through the gateway (scoped token, OAuth)."""

    deployment = "cloud"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cloud_id: str | None = self.credential.cloud_id
        self._space_keys: dict[str, str] = {}  # space id -> key
        self._space_lookup = asyncio.Lock()  # pages read at once ask for their space once
        self._group_names: dict[str, str] | None = None

    # ---- URLs -------------------------------------------------------------------------------

    async def cloud_id(self) -> str:
        """The site's cloudId (from ``/_edge/tenant_info`` unless the credential knows it)."""
        if self._cloud_id is None:
            url = f"{self.urls.site}/_edge/tenant_info"
            try:
                resp = await self.http.get(url)
                body = resp.json() if resp.status_code == 200 else None
            except (ValueError, httpx.HTTPError) as exc:
                raise TransientError(
                    f"{self.urls.site} did not say its cloudId ({exc})",
                    hint="check that this is the address of a Confluence Cloud site",
                ) from exc
            if not isinstance(body, dict) or not body.get("cloudId"):
                raise InputError(
                    f"{self.urls.site} does not look like a Confluence Cloud site "
                    f"(/_edge/tenant_info answered {resp.status_code})",
                    hint="use the address you open in a browser, e.g. https://acme.atlassian.net",
                )
            self._cloud_id = str(body["cloudId"])
        return self._cloud_id

    async def api_root(self) -> str:
        """``https://site/wiki``, or the gateway's ``…/ex/confluence/{cloudId}/wiki``."""
        if self.credential.via_gateway:
            return f"{self.urls.gateway}/ex/confluence/{await self.cloud_id()}/wiki"
        return f"{self.urls.site}/wiki"

    async def v2(self, path: str) -> str:
        """Absolute URL of a v2 path."""
        return f"{await self.api_root()}/api/v2{path}"

    async def _base(self) -> str:
        return await self.api_root()

    # ---- spaces -----------------------------------------------------------------------------

    def spaces(self, keys: Sequence[str] | None = None) -> Listing[Space]:
        """Spaces by v2 ``/spaces`` (sorted by id)."""

        async def walk(listing: Listing[Space]) -> AsyncIterator[Space]:
            params: dict[str, Any] = {"description-format": "plain"}
            if keys:
                params["keys"] = ",".join(keys)
            async for item in walk_v2(
                self.transport, listing, await self.v2("/spaces"), params, limit=self._size(V2_MAX)
            ):
                space = parse.space_v2(item)
                self._remember(space)
                yield space

        return self._listing("spaces", walk)

    def _remember(self, space: Space) -> None:
        super()._remember(space)
        self._space_keys[space.id] = space.key

    async def _read_space(self, key: str) -> Space:
        """``/spaces?keys=KEY``."""
        async for space in self.spaces([key]):
            if space.key == key:
                return space
        raise NotFoundError(
            f"no space with key {key}",
            hint=f"check the key, and that the {self.credential.describe()} may view the space",
        )

    async def _space_key(self, space_id: str) -> str | None:
        if space_id and space_id not in self._space_keys:
            async with self._space_lookup:
                if space_id not in self._space_keys:
                    try:
                        data = await self.get_json(await self.v2(f"/spaces/{space_id}"))
                        self._remember(parse.space_v2(data))
                    except NotFoundError:
                        return None
        return self._space_keys.get(space_id)

    # ---- pages ------------------------------------------------------------------------------

    def pages(
        self,
        space_key: str,
        *,
        kind: PageKind = "page",
        status: Sequence[str] = ("current",),
        body: bool = True,
    ) -> Listing[Page]:
        """``/spaces/{id}/pages`` (or ``/blogposts``), walked from both ends of the id order."""

        async def walk(listing: Listing[Page]) -> AsyncIterator[Page]:
            space = await self.space(space_key)
            base = await self._base()
            params: dict[str, Any] = {"status": list(status)}
            if body:
                params["body-format"] = "storage"
            url = await self.v2(f"/spaces/{space.id}/{_plural(kind)}")
            async for item in walk_v2_from_both_ends(
                self.transport,
                listing,
                url,
                params,
                limit=self._size(V2_MAX),
                body_param="body-format",
            ):
                yield parse.page_v2(item, kind, base=base, space_key=space.key)

        return self._listing(f"{kind}s of {space_key}", walk)

    async def page(
        self, page_id: str, *, version: int | None = None, kind: PageKind = "page"
    ) -> Page:
        """``/pages/{id}?body-format=storage&include-labels=true`` (``version=N`` for old ones)."""
        params: dict[str, Any] = {"body-format": "storage", "include-labels": "true"}
        if version is not None:
            params["version"] = version
        data = await self.get_json(await self.v2(f"/{_plural(kind)}/{page_id}"), params=params)
        space_key = await self._space_key(str(data.get("spaceId", "")))
        return parse.page_v2(data, kind, base=await self._base(), space_key=space_key)

    def children(self, page_id: str) -> Listing[ContentRef]:
        """``/pages/{id}/direct-children`` (pages and folders; other kinds are left out)."""

        async def walk(listing: Listing[ContentRef]) -> AsyncIterator[ContentRef]:
            url = await self.v2(f"/pages/{page_id}/direct-children")
            async for item in walk_v2(self.transport, listing, url, {}, limit=self._size(V2_MAX)):
                ref = parse.ref(item, parent_id=page_id)
                if ref is not None:
                    yield ref

        return self._listing(f"children of {page_id}", walk)

    def descendants(self, page_id: str) -> Listing[ContentRef]:
        """``/pages/{id}/descendants?depth=10``, continued below the pages at depth 10."""

        async def walk(listing: Listing[ContentRef]) -> AsyncIterator[ContentRef]:
            roots = [page_id]
            while roots:
                root = roots.pop(0)
                url = await self.v2(f"/pages/{root}/descendants")
                params = {"depth": DESCENDANT_DEPTH}
                async for item in walk_v2(
                    self.transport, listing, url, params, limit=self._size(V2_MAX)
                ):
                    ref = parse.ref(item)
                    if ref is None:
                        continue
                    if int(item.get("depth", 0)) >= DESCENDANT_DEPTH:
                        roots.append(ref.id)
                    yield ref

        return self._listing(f"descendants of {page_id}", walk)

    async def ancestors(self, page_id: str) -> list[ContentRef]:
        """``/pages/{id}/ancestors`` (top-down; continued from the topmost when truncated)."""
        chain: list[ContentRef] = []
        current = page_id
        while True:
            url = await self.v2(f"/pages/{current}/ancestors")
            data = await self.get_json(url, params={"limit": V2_MAX})
            refs = [r for r in (parse.ref(x) for x in data.get("results", [])) if r is not None]
            chain = refs + chain
            if not data.get("_links", {}).get("next") or not refs:
                return chain
            current = refs[0].id

    # ---- comments, labels, attachments, versions --------------------------------------------

    def comments(self, content_id: str, *, kind: PageKind = "page") -> Listing[Comment]:
        """``/{pages|blogposts}/{id}/footer-comments`` then ``…/inline-comments`` (every
        resolution status), each comment followed by its replies."""

        async def thread(
            listing: Listing[Comment], url: str, location: CommentLocation, parent: str | None
        ) -> AsyncIterator[Comment]:
            params: dict[str, Any] = {"body-format": "storage"}
            if location == "inline" and parent is None:
                params["resolution-status"] = list(RESOLUTIONS)
            async for item in walk_v2(
                self.transport, listing, url, params, limit=self._size(V2_MAX)
            ):
                comment = parse.comment_v2(
                    item, container_id=content_id, parent_comment_id=parent, location=location
                )
                yield comment
                below = await self.v2(f"/{location}-comments/{comment.id}/children")
                async for reply in thread(listing, below, location, comment.id):
                    yield reply

        async def walk(listing: Listing[Comment]) -> AsyncIterator[Comment]:
            for location in ("footer", "inline"):
                url = await self.v2(f"/{_plural(kind)}/{content_id}/{location}-comments")
                async for comment in thread(listing, url, location, None):
                    yield comment

        return self._listing(f"comments on {content_id}", walk)

    def labels(self, content_id: str, *, kind: PageKind = "page") -> Listing[Label]:
        """``/{pages|blogposts}/{id}/labels``."""

        async def walk(listing: Listing[Label]) -> AsyncIterator[Label]:
            url = await self.v2(f"/{_plural(kind)}/{content_id}/labels")
            async for item in walk_v2(self.transport, listing, url, {}, limit=self._size(V2_MAX)):
                yield parse.label(item)

        return self._listing(f"labels of {content_id}", walk)

    def attachments(self, content_id: str, *, kind: PageKind = "page") -> Listing[Attachment]:
        """``/{pages|blogposts}/{id}/attachments``."""

        async def walk(listing: Listing[Attachment]) -> AsyncIterator[Attachment]:
            url = await self.v2(f"/{_plural(kind)}/{content_id}/attachments")
            async for item in walk_v2(
                self.transport, listing, url, {"status": "current"}, limit=self._size(V2_MAX)
            ):
                yield parse.attachment_v2(item, container_id=content_id)

        return self._listing(f"attachments of {content_id}", walk)

    async def download(self, attachment: Attachment) -> bytes:
        """v1 ``…/child/attachment/{id}/download`` (works with scoped tokens), following the 302."""
        url = await self.v1(
            f"/content/{attachment.container_id}/child/attachment/{attachment.id}/download"
        )
        resp = await self.transport.request("GET", url, follow_redirects=True, objects=1)
        return resp.content

    def versions(self, content_id: str, *, kind: PageKind = "page") -> Listing[VersionInfo]:
        """``/{pages|blogposts}/{id}/versions``."""

        async def walk(listing: Listing[VersionInfo]) -> AsyncIterator[VersionInfo]:
            url = await self.v2(f"/{_plural(kind)}/{content_id}/versions")
            async for item in walk_v2(self.transport, listing, url, {}, limit=self._size(V2_MAX)):
                yield parse.version_v2(item)

        return self._listing(f"versions of {content_id}", walk)

    # ---- permissions, people ----------------------------------------------------------------

    async def space_permissions(self, space_key: str) -> list[SpacePermission]:
        """``/spaces/{id}/permissions``; group ids are turned into names via ``/group``."""
        space = await self.space(space_key)
        url = await self.v2(f"/spaces/{space.id}/permissions")
        raw = await Listing(
            lambda lst: walk_v2(self.transport, lst, url, {}, limit=self._size(V2_MAX)),
            f"permissions of {space_key}",
        ).collect()
        names: dict[str, str] = {}
        if any((r.get("principal") or {}).get("type") == "group" for r in raw):
            names = await self._group_name_map()
        out = [parse.space_permission_v2(r, names) for r in raw]
        return [p for p in out if p is not None]

    async def _group_name_map(self) -> dict[str, str]:
        if self._group_names is None:
            self._group_names = {g.id: g.name async for g in self.groups() if g.id}
        return self._group_names

    async def users(self, ids: Iterable[str]) -> list[Person]:
        """``POST /users-bulk`` in batches of 250 accountIds."""
        wanted = list(dict.fromkeys(ids))
        out: list[Person] = []
        url = await self.v2("/users-bulk")
        for i in range(0, len(wanted), V2_MAX):
            batch = wanted[i : i + V2_MAX]
            resp = await self.transport.request(
                "POST",
                url,
                json={"accountIds": batch},
                idempotent=True,
                objects=len(batch),
                identity=True,
            )
            out += [parse.person_v2(x) for x in resp.json().get("results", [])]
        return out

    def groups(self) -> Listing[Group]:
        """v1 ``/group`` (v2 has no group list)."""

        async def walk(listing: Listing[Group]) -> AsyncIterator[Group]:
            url = await self.v1("/group")
            async for item in walk_v1(self.transport, listing, url, {}, limit=self._size(200)):
                yield parse.group_v1(item)

        return self._listing("groups", walk)

    def group_members(self, group: Group) -> Listing[Person]:
        """v1 ``/group/{groupId}/membersByGroupId``."""

        async def walk(listing: Listing[Person]) -> AsyncIterator[Person]:
            group_id = group.id
            if group_id is None:
                group_id = next(
                    (i for i, n in (await self._group_name_map()).items() if n == group.name), None
                )
                if group_id is None:
                    raise NotFoundError(f"no group named {group.name}")
            url = await self.v1(f"/group/{group_id}/membersByGroupId")
            async for item in walk_v1(self.transport, listing, url, {}, limit=self._size(200)):
                yield parse.person_v1(item)

        return self._listing(f"members of {group.name}", walk)

    # ---- search -----------------------------------------------------------------------------

    def search(self, cql: str, *, expand: Sequence[str] = SEARCH_EXPAND) -> Listing[SearchItem]:
        """v1 ``/content/search`` (CQL has no v2 equivalent), following its cursors."""

        async def walk(listing: Listing[SearchItem]) -> AsyncIterator[SearchItem]:
            url = await self.v1("/content/search")
            params = {"cql": cql, "expand": ",".join(expand)}
            base = await self._base()
            async for item in walk_v1_cursor(
                self.transport, listing, url, params, limit=self._size(V2_MAX)
            ):
                found = search_item(item, base)
                if found is not None:
                    yield found

        return self._listing(f"search {cql}", walk)

    # ---- writes -----------------------------------------------------------------------------

    async def _post_page(
        self, space_key: str, title: str, body: str, parent_id: str | None, kind: PageKind
    ) -> Page:
        space = await self.space(space_key)
        payload: dict[str, Any] = {
            "spaceId": space.id,
            "status": "current",
            "title": title,
            "body": {"representation": "storage", "value": body},
        }
        if parent_id and kind == "page":
            payload["parentId"] = parent_id
        resp = await self.transport.request(
            "POST", await self.v2(f"/{_plural(kind)}"), json=payload
        )
        return parse.page_v2(resp.json(), kind, base=await self._base(), space_key=space.key)

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
        payload: dict[str, Any] = {
            "id": current.id,
            "status": "current",
            "title": title,
            "body": {"representation": "storage", "value": body},
            "version": {"number": number, "message": message},
        }
        if parent_id is not None:
            payload["parentId"] = parent_id
        url = await self.v2(f"/{_plural(current.kind)}/{current.id}")
        resp = await self.transport.request("PUT", url, json=payload)
        return parse.page_v2(
            resp.json(), current.kind, base=await self._base(), space_key=current.space_key
        )

    async def trash(self, content_id: str, *, kind: PageKind = "page") -> None:
        """``DELETE /{pages|blogposts}/{id}`` (moves it to the trash)."""
        await self.transport.request("DELETE", await self.v2(f"/{_plural(kind)}/{content_id}"))
