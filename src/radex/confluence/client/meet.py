"""Two cursor walks over one v2 list, from either end, meeting in the middle.

A v2 list is a chain of cursors: each page needs the previous one, so a long list costs one
round trip per page in sequence. Sorted by id, the same list can be walked upwards
(``sort=id``) and downwards (``sort=-id``) at once; the walks stop where they meet, which halves
the wall time of a long listing for about the same number of calls. The downward walk starts
only when the first upward page is not the last, so a short list costs one call. It also walks
around a poison item: when one walk is blocked by an item that always fails, the other one still
comes from the far side, so only the unreadable item itself is missed (and recorded).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from radex.confluence.client.pagination import (
    ItemFailure,
    Listing,
    Shrink,
    get_page,
    id_key,
    next_cursor,
    step_over_v2,
)
from radex.confluence.client.transport import Transport
from radex.errors import TransientError

Json = dict[str, Any]
Side = Literal["up", "down"]
End = Literal["more", "last", "blocked", "error"]
QUEUE_BATCHES = 4  # pages held between the walks and the reader: memory stays bounded


@dataclass
class _Batch:
    side: Side
    items: list[Json]
    end: End
    error: BaseException | None = None
    detail: str = field(default="")


async def _walk(
    transport: Transport,
    listing: Listing[Any],
    url: str,
    params: Mapping[str, Any],
    limit: int,
    body_param: str | None,
    side: Side,
    queue: asyncio.Queue[_Batch],
) -> None:
    obs = transport.observer
    shrink = Shrink(limit, limit)
    cursor: str | None = None
    sort = {"sort": "id" if side == "up" else "-id"}
    try:
        while True:
            query = {**params, **sort, "limit": shrink.size, "cursor": cursor}
            try:
                body, resp = await get_page(transport, url, query, shrink)
            except TransientError as exc:
                if shrink.halve():
                    obs.emit("page_size_halved", listing=listing.name, size=shrink.size)
                    continue
                stepped = await step_over_v2(transport, listing, url, query, body_param, exc)
                if stepped is None:
                    await queue.put(_Batch(side, [], "blocked", detail=str(exc)))
                    return
                if stepped == "":
                    await queue.put(_Batch(side, [], "last"))
                    return
                cursor = stepped
                continue
            cursor = next_cursor(body, resp)
            results = list(body.get("results", []))
            await queue.put(_Batch(side, results, "more" if cursor else "last"))
            if cursor is None:
                return
            shrink.grow()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # handed to the reader, which raises it
        await queue.put(_Batch(side, [], "error", error=exc))


async def walk_v2_from_both_ends(
    transport: Transport,
    listing: Listing[Any],
    url: str,
    params: Mapping[str, Any],
    *,
    limit: int,
    body_param: str | None = None,
) -> AsyncIterator[Json]:
    """Every item of an id-sortable v2 list exactly once (ascending ids first, then the rest)."""
    queue: asyncio.Queue[_Batch] = asyncio.Queue(maxsize=QUEUE_BATCHES)

    def start(side: Side) -> asyncio.Task[None]:
        return asyncio.create_task(
            _walk(transport, listing, url, params, limit, body_param, side, queue)
        )

    # The downward walk starts once the first upward page shows there is more: a list that fits
    # in one page (a space's trash, most often) costs one call, not two.
    tasks = [start("up")]
    lo: tuple[int, str] | None = None  # highest id the upward walk has given
    hi: tuple[int, str] | None = None  # lowest id the downward walk has given
    lo_id = hi_id = None
    blocked: dict[str, str] = {}
    try:
        while True:
            batch = await queue.get()
            if batch.end == "error" and batch.error is not None:
                raise batch.error
            met = False
            for item in batch.items:
                item_id = str(item.get("id", ""))
                key = id_key(item_id)
                if batch.side == "up":
                    if hi is not None and key >= hi:
                        met = True
                        break
                    lo, lo_id = key, item_id
                else:
                    if lo is not None and key <= lo:
                        met = True
                        break
                    hi, hi_id = key, item_id
                yield item
            if met or batch.end == "last":
                return
            if len(tasks) == 1:
                tasks.append(start("down"))
            if batch.end == "blocked":
                blocked[batch.side] = batch.detail
                if len(blocked) == 2:
                    where = f"between id {lo_id or '(start)'} and id {hi_id or '(end)'}"
                    listing.fail(
                        transport.observer,
                        ItemFailure(
                            listing.name, where, None, "unreadable item(s): " + blocked["up"]
                        ),
                    )
                    return
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
