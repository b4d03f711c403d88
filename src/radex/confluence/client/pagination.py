"""Walking Confluence lists lazily: v2 cursors, v1 offsets, v1 search cursors.

Every walker yields raw JSON items one page at a time, so a 100,000-page space never sits in
memory. A list call that keeps failing with a server error is retried with half the page size,
down to one item; an item that fails on its own (a "poison" item) is recorded in the
:class:`Listing`'s ``failures`` and the walk goes on past it where the API allows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from radex.confluence.client.observe import Observer
from radex.confluence.client.transport import Transport
from radex.errors import TransientError

T = TypeVar("T")
Json = dict[str, Any]
SHRUNK_RETRIES = 1  # once a list is shrinking its pages, each size gets one retry


@dataclass(frozen=True)
class ItemFailure:
    """Something a listing had to skip: where, which item (when known) and why."""

    listing: str
    position: str
    item_id: str | None
    error: str


class Listing(Generic[T]):
    """An async iterable of results that records the items it had to skip in ``failures``."""

    def __init__(self, source: Callable[[Listing[T]], AsyncIterator[T]], name: str) -> None:
        self.name = name
        self.failures: list[ItemFailure] = []
        self._source = source

    def __aiter__(self) -> AsyncIterator[T]:
        return self._source(self)

    async def collect(self) -> list[T]:
        """Everything, in a list (only for lists known to be small)."""
        return [item async for item in self]

    def fail(self, observer: Observer, failure: ItemFailure) -> None:
        """Record a skipped item (once) and report it."""
        if failure.item_id is not None and any(f.item_id == failure.item_id for f in self.failures):
            return
        self.failures.append(failure)
        observer.emit(
            "item_skipped",
            listing=failure.listing,
            position=failure.position,
            item_id=failure.item_id,
            error=failure.error,
        )


def next_cursor(body: Any, resp: httpx.Response) -> str | None:
    """The ``cursor`` of the next page, from ``_links.next`` or the ``Link`` header."""
    link = None
    if isinstance(body, dict):
        link = (body.get("_links") or {}).get("next")
    if not link:
        nxt = resp.links.get("next")
        link = nxt.get("url") if nxt else None
    if not link:
        return None
    values = parse_qs(urlsplit(str(link)).query).get("cursor")
    return values[0] if values else None


def id_key(item_id: str) -> tuple[int, str]:
    """Numeric order for numeric ids (as Confluence sorts them), text order after those."""
    return (len(item_id), item_id) if item_id.isdigit() else (1 << 30, item_id)


@dataclass
class Shrink:
    """Page-size control: halve on failure, grow back after successes."""

    full: int
    size: int

    def halve(self) -> bool:
        """Halve the page size; False when it is already one item."""
        if self.size <= 1:
            return False
        self.size = max(1, self.size // 2)
        return True

    def grow(self) -> None:
        """Double the page size back towards the full one."""
        self.size = min(self.full, self.size * 2)

    @property
    def shrunk(self) -> bool:
        """True while pages are smaller than asked for at first."""
        return self.size < self.full


async def get_page(
    transport: Transport, url: str, params: Mapping[str, Any], shrink: Shrink
) -> tuple[Any, httpx.Response]:
    """One page of a list (fewer retries once the list is shrinking), decoded."""
    resp = await transport.request(
        "GET",
        url,
        params=params,
        objects=shrink.size,
        retries=SHRUNK_RETRIES if shrink.shrunk else None,
    )
    return resp.json(), resp


async def walk_v2(
    transport: Transport,
    listing: Listing[Any],
    url: str,
    params: Mapping[str, Any],
    *,
    limit: int,
    body_param: str | None = None,
) -> AsyncIterator[Json]:
    """Items of a v2 cursor list.

    A poison item is stepped over by re-reading its position without ``body_param`` (bodies are
    what usually fails); when even that fails, the failure is recorded and the walk ends there
    (:func:`walk_v2_from_both_ends` also reaches what lies beyond).
    """
    obs = transport.observer
    shrink = Shrink(limit, limit)
    cursor: str | None = None
    while True:
        query = {**params, "limit": shrink.size, "cursor": cursor}
        try:
            body, resp = await get_page(transport, url, query, shrink)
        except TransientError as exc:
            if shrink.halve():
                obs.emit("page_size_halved", listing=listing.name, size=shrink.size)
                continue
            stepped = await step_over_v2(transport, listing, url, query, body_param, exc)
            if stepped == "":
                return
            if stepped is not None:
                cursor = stepped
                continue
            listing.fail(obs, ItemFailure(listing.name, f"cursor={cursor}", None, str(exc)))
            return
        for item in body.get("results", []):
            yield item
        cursor = next_cursor(body, resp)
        if cursor is None:
            return
        shrink.grow()


async def step_over_v2(
    transport: Transport,
    listing: Listing[Any],
    url: str,
    query: Mapping[str, Any],
    body_param: str | None,
    exc: Exception,
) -> str | None:
    """Read a failing position without bodies; record its item and return the next cursor.

    None when that fails too; "" when the item was the last one.
    """
    if body_param is None or body_param not in query:
        return None
    bare = {k: v for k, v in query.items() if k != body_param}
    try:
        resp = await transport.request("GET", url, params=bare, objects=1, retries=SHRUNK_RETRIES)
    except TransientError:
        return None
    body = resp.json()
    results = body.get("results", [])
    item_id = str(results[0]["id"]) if results else None
    listing.fail(
        transport.observer,
        ItemFailure(listing.name, f"cursor={query.get('cursor')}", item_id, str(exc)),
    )
    nxt = next_cursor(body, resp)
    return nxt if nxt is not None else ""


MAX_SKIPPED = 5
"""A v1 walk gives up (the listing recorded as incomplete) after this many failing positions in a
row: one poisoned item is skipped, an endpoint that fails everywhere is not walked forever."""


async def walk_v1(
    transport: Transport,
    listing: Listing[Any],
    url: str,
    params: Mapping[str, Any],
    *,
    limit: int,
    results_key: str | None = None,
) -> AsyncIterator[Json]:
    """Items of a v1 ``start``/``limit`` list; ``start`` advances by the results received.

    Servers cap ``limit`` silently, and Data Center's ``next`` can run past the end, so the
    walk trusts neither: it stops on an empty page or a missing ``next``.
    """
    obs = transport.observer
    shrink = Shrink(limit, limit)
    start = int(params.get("start", 0) or 0)
    skipped = 0  # positions skipped in a row
    while True:
        query = {**params, "start": start, "limit": shrink.size}
        try:
            body, _resp = await get_page(transport, url, query, shrink)
        except TransientError as exc:
            if shrink.halve():
                obs.emit("page_size_halved", listing=listing.name, size=shrink.size)
                continue
            listing.fail(obs, ItemFailure(listing.name, f"start={start}", None, str(exc)))
            skipped += 1
            if skipped >= MAX_SKIPPED:  # not one bad item: the listing itself is failing
                reason = f"gave up after {skipped} failing positions in a row"
                listing.fail(obs, ItemFailure(listing.name, f"start={start + 1}", None, reason))
                return
            start += 1
            continue
        skipped = 0
        block = body.get(results_key, {}) if results_key else body
        results = block.get("results", [])
        for item in results:
            yield item
        if not results or not (block.get("_links") or {}).get("next"):
            return
        start += len(results)
        echoed = block.get("limit")
        if isinstance(echoed, int) and 0 < echoed < query["limit"]:
            # The server gave less than was asked: its silent cap, so asking for more is
            # pointless. (An echo equal to a halved size is no cap: the walk grows back.)
            shrink.full = echoed
            shrink.size = min(shrink.size, echoed)
        shrink.grow()


async def walk_v1_cursor(
    transport: Transport,
    listing: Listing[Any],
    url: str,
    params: Mapping[str, Any],
    *,
    limit: int,
) -> AsyncIterator[Json]:
    """Items of a Cloud v1 search: follow the opaque ``cursor`` of ``_links.next``."""
    obs = transport.observer
    shrink = Shrink(limit, limit)
    cursor: str | None = None
    while True:
        query = {**params, "limit": shrink.size, "cursor": cursor}
        try:
            body, resp = await get_page(transport, url, query, shrink)
        except TransientError as exc:
            if shrink.halve():
                obs.emit("page_size_halved", listing=listing.name, size=shrink.size)
                continue
            listing.fail(obs, ItemFailure(listing.name, f"cursor={cursor}", None, str(exc)))
            return
        results = body.get("results", [])
        for item in results:
            yield item
        cursor = next_cursor(body, resp)
        if not results or cursor is None:
            return
        shrink.grow()
