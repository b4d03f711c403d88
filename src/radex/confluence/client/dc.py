"""Confluence Data Center: the classic REST v1 API at ``[/context]/rest/api``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from radex.confluence.client import parse
from radex.confluence.client.base import SEARCH_EXPAND, ConfluenceClient, PageKind, SearchItem
from radex.confluence.client.pagination import Listing, walk_v1
from radex.confluence.client.search import search_item
from radex.errors import NotFoundError
from radex.types import (
    Attachment,
    Comment,
    ContentRef,
    Group,
    Label,
    Page,
    Person,
    Space,
    SpacePermission,
    VersionInfo,
)

PAGE_EXPAND = "body.storage,version,space,history,ancestors,metadata.labels"
LIST_LIMIT = 500  # asked for; Data Center caps silently and the walk follows what it gets
SEARCH_LIMIT = 1000
COMMENT_LOCATIONS = ("footer", "inline", "resolved")
COMMENT_EXPAND = (
    "body.storage,version,history,ancestors,container,"
    "extensions.inlineProperties,extensions.resolution"
)


class DataCenterClient(ConfluenceClient):
    """Confluence Data Center (PAT or basic auth), optionally under a context path."""

    deployment = "dc"

    async def api_root(self) -> str:
        """The base URL including the context path."""
        return self.urls.site

    def _mapped(
        self,
        name: str,
        path: str,
        params: dict[str, Any],
        limit: int,
        convert: Callable[[dict[str, Any]], Any],
    ) -> Listing[Any]:
        async def walk(listing: Listing[Any]) -> AsyncIterator[Any]:
            url = await self.v1(path)
            async for item in walk_v1(
                self.transport, listing, url, params, limit=self._size(limit)
            ):
                value = convert(item)
                if value is not None:
                    yield value

        return self._listing(name, walk)

    # ---- spaces -----------------------------------------------------------------------------

    def spaces(self, keys: Sequence[str] | None = None) -> Listing[Space]:
        """``/space`` (optionally ``spaceKey=…``)."""
        params: dict[str, Any] = {"expand": "description.plain,homepage"}
        if keys:
            params["spaceKey"] = list(keys)
        return self._mapped("spaces", "/space", params, LIST_LIMIT, parse.space_v1)

    async def _read_space(self, key: str) -> Space:
        """``/space/{key}``."""
        url = await self.v1(f"/space/{quote(key)}")
        return parse.space_v1(
            await self.get_json(url, params={"expand": "description.plain,homepage"})
        )

    # ---- pages ------------------------------------------------------------------------------

    def pages(
        self,
        space_key: str,
        *,
        kind: PageKind = "page",
        status: Sequence[str] = ("current",),
        body: bool = True,
    ) -> Listing[Page]:
        """``/content?spaceKey=…&type=…&status=…&expand=…``, offset by offset."""
        expand = PAGE_EXPAND if body else PAGE_EXPAND.replace("body.storage,", "")
        params: dict[str, Any] = {
            "spaceKey": space_key,
            "type": kind,
            "status": ",".join(status),
            "expand": expand,
        }
        return self._mapped(
            f"{kind}s of {space_key}", "/content", params, LIST_LIMIT, self._page_of
        )

    def _page_of(self, item: dict[str, Any]) -> Page:
        return parse.page_v1(item, base=self.urls.site)

    async def page(
        self, page_id: str, *, version: int | None = None, kind: PageKind = "page"
    ) -> Page:
        """``/content/{id}?expand=…`` (``version=N&status=historical`` for older versions)."""
        params: dict[str, Any] = {"expand": PAGE_EXPAND}
        if version is not None:
            params.update(version=version, status="historical")
        data = await self.get_json(await self.v1(f"/content/{page_id}"), params=params)
        return parse.page_v1(data, base=self.urls.site)

    def children(self, page_id: str) -> Listing[ContentRef]:
        """``/content/{id}/child/page``."""
        return self._mapped(
            f"children of {page_id}",
            f"/content/{page_id}/child/page",
            {},
            LIST_LIMIT,
            lambda item: parse.ref(item, parent_id=page_id),
        )

    def descendants(self, page_id: str) -> Listing[ContentRef]:
        """``/content/{id}/descendant/page?depth=all&expand=ancestors``."""

        def convert(item: dict[str, Any]) -> ContentRef | None:
            ancestors = item.get("ancestors") or []
            parent = str(ancestors[-1]["id"]) if ancestors else None
            return parse.ref(item, parent_id=parent)

        return self._mapped(
            f"descendants of {page_id}",
            f"/content/{page_id}/descendant/page",
            {"depth": "all", "expand": "ancestors"},
            LIST_LIMIT,
            convert,
        )

    async def ancestors(self, page_id: str) -> list[ContentRef]:
        """``/content/{id}?expand=ancestors`` (root first)."""
        url = await self.v1(f"/content/{page_id}")
        data = await self.get_json(url, params={"expand": "ancestors"})
        refs = [parse.ref(a) for a in data.get("ancestors", [])]
        return [r for r in refs if r is not None]

    # ---- comments, labels, attachments, versions --------------------------------------------

    def comments(self, content_id: str, *, kind: PageKind = "page") -> Listing[Comment]:
        """``/content/{id}/child/comment?depth=all&location=footer,inline,resolved`` (replies
        after parents; a comment two locations list comes once)."""
        seen: set[str] = set()

        def once(item: dict[str, Any]) -> Comment | None:
            comment = parse.comment_v1(item, container_id=content_id)
            if comment.id in seen:
                return None
            seen.add(comment.id)
            return comment

        return self._mapped(
            f"comments on {content_id}",
            f"/content/{content_id}/child/comment",
            {"depth": "all", "location": list(COMMENT_LOCATIONS), "expand": COMMENT_EXPAND},
            LIST_LIMIT,
            once,
        )

    def labels(self, content_id: str, *, kind: PageKind = "page") -> Listing[Label]:
        """``/content/{id}/label``."""
        return self._mapped(
            f"labels of {content_id}", f"/content/{content_id}/label", {}, 200, parse.label
        )

    def attachments(self, content_id: str, *, kind: PageKind = "page") -> Listing[Attachment]:
        """``/content/{id}/child/attachment?expand=version,container``."""
        return self._mapped(
            f"attachments of {content_id}",
            f"/content/{content_id}/child/attachment",
            {"expand": "version,container"},
            LIST_LIMIT,
            lambda item: parse.attachment_v1(item, container_id=content_id),
        )

    async def download(self, attachment: Attachment) -> bytes:
        """The attachment's ``download`` link on the site (``/download/attachments/…``)."""
        if not attachment.download_path:
            raise NotFoundError(f"attachment {attachment.id} has no download link")
        path = attachment.download_path
        url = path if path.startswith("http") else f"{self.urls.site}{path}"
        resp = await self.transport.request("GET", url, follow_redirects=True, objects=1)
        return resp.content

    def versions(self, content_id: str, *, kind: PageKind = "page") -> Listing[VersionInfo]:
        """``/content/{id}/version`` (newest first)."""
        return self._mapped(
            f"versions of {content_id}",
            f"/content/{content_id}/version",
            {},
            200,
            parse.version_v1,
        )

    # ---- permissions, people ----------------------------------------------------------------

    async def space_permissions(self, space_key: str) -> list[SpacePermission]:
        """``/space/{key}?expand=permissions``."""
        url = await self.v1(f"/space/{quote(space_key)}")
        data = await self.get_json(url, params={"expand": "permissions"}, identity=True)
        return parse.space_permissions_v1(data.get("permissions"))

    async def users(self, ids: Iterable[str]) -> list[Person]:
        """``/user?key=…`` for each userKey (Data Center has no bulk lookup), several at once
        within the site's limits; unknown keys are left out."""
        url = await self.v1("/user")

        async def one(key: str) -> Person | None:
            try:
                return parse.person_v1(await self.get_json(url, params={"key": key}, identity=True))
            except NotFoundError:
                return None

        tasks = [asyncio.create_task(one(key)) for key in dict.fromkeys(ids)]
        try:
            found = await asyncio.gather(*tasks)
        except BaseException:  # the first error is raised as it is; the other lookups stop
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return [p for p in found if p is not None]

    async def user_by_username(self, username: str) -> Person | None:
        """``/user?username=…``: the person with this username, or None."""
        try:
            data = await self.get_json(
                await self.v1("/user"), params={"username": username}, identity=True
            )
        except NotFoundError:
            return None
        return parse.person_v1(data)

    def groups(self) -> Listing[Group]:
        """``/group``."""
        return self._mapped("groups", "/group", {}, 1000, parse.group_v1)

    def group_members(self, group: Group) -> Listing[Person]:
        """``/group/{name}/member``."""
        return self._mapped(
            f"members of {group.name}",
            f"/group/{quote(group.name, safe='')}/member",
            {},
            1000,
            parse.person_v1,
        )

    # ---- search -----------------------------------------------------------------------------

    def search(self, cql: str, *, expand: Sequence[str] = SEARCH_EXPAND) -> Listing[SearchItem]:
        """``/content/search`` by ``start``, recomputed from the results actually received."""
        base = self.urls.site
        return self._mapped(
            f"search {cql}",
            "/content/search",
            {"cql": cql, "expand": ",".join(expand)},
            SEARCH_LIMIT,
            lambda item: search_item(item, base),
        )

    # ---- writes -----------------------------------------------------------------------------

    async def _post_page(
        self, space_key: str, title: str, body: str, parent_id: str | None, kind: PageKind
    ) -> Page:
        payload: dict[str, Any] = {
            "type": kind,
            "title": title,
            "space": {"key": space_key},
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        if parent_id and kind == "page":
            payload["ancestors"] = [{"id": parent_id}]
        resp = await self.transport.request(
            "POST", await self.v1("/content"), json=payload, params={"expand": PAGE_EXPAND}
        )
        return parse.page_v1(resp.json(), base=self.urls.site)

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
            "type": current.kind,
            "title": title,
            "status": "current",
            "version": {"number": number, "message": message, "minorEdit": minor_edit},
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        if parent_id is not None:
            payload["ancestors"] = [{"id": parent_id}]
        url = await self.v1(f"/content/{current.id}")
        resp = await self.transport.request(
            "PUT", url, json=payload, params={"expand": PAGE_EXPAND}
        )
        return parse.page_v1(resp.json(), base=self.urls.site)

    async def trash(self, content_id: str, *, kind: PageKind = "page") -> None:
        """``DELETE /content/{id}`` (moves it to the trash)."""
        await self.transport.request("DELETE", await self.v1(f"/content/{content_id}"))
