"""CQL search endpoints: ``/rest/api/content/search`` and ``/rest/api/search``.

Both run the query over the site (current content by default, only what the caller may read),
order it (``order by``, else relevance), and page it: ``start``/``limit`` on Data Center, an
opaque ``cursor`` in ``_links.next``/``prev`` on Cloud. Limits are capped silently and the
effective limit is echoed. Malformed CQL is a 400 "Could not parse cql : <query>".
"""

from __future__ import annotations

import html
import json
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from radex.confluence.emulator.cql import CqlQuery, parse
from radex.confluence.emulator.cql_eval import TextTerm
from radex.confluence.emulator.cql_site import (
    SEARCHABLE_TYPES,
    ContentRecord,
    SpaceRecord,
    analysed,
    cql_context,
)
from radex.confluence.emulator.http import (
    ApiError,
    Ctx,
    Endpoint,
    decode_cursor,
    encode_cursor,
    iso,
    ok,
    query_bool,
    query_int,
    v1_api_path,
    v1_links,
    v1_window,
)
from radex.confluence.emulator.model import Content, Space
from radex.confluence.emulator.render_v1 import content_v1, parse_expand, space_v1, webui
from radex.errors import CqlError

SEARCH_SCOPES = ("search:confluence", "read:content-details:confluence")
EXCERPTS = ("highlight", "indexed", "none", "highlight_unescaped", "indexed_unescaped")
STATUSES = ("current", "draft", "archived", "trashed")
HL_OPEN, HL_CLOSE = "@@@hl@@@", "@@@endhl@@@"
EXCERPT_CHARS = 300
Hit = ContentRecord | SpaceRecord


# ---- running a query ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRun:
    """The ordered hits of one query, with what paging and rendering need."""

    cql: str
    query: CqlQuery
    hits: list[Hit]
    started: float


@dataclass(frozen=True)
class CqlContextParam:
    """The ``cqlcontext`` parameter: the space, content and statuses a search runs against."""

    space_key: str | None = None
    content_id: str | None = None
    statuses: tuple[str, ...] = ("current",)


def _cqlcontext(ctx: Ctx) -> CqlContextParam:
    raw = ctx.params.get("cqlcontext")
    if not raw:
        return CqlContextParam()
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, f"Could not parse cqlcontext : {raw}") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"Could not parse cqlcontext : {raw}")
    statuses = data.get("contentStatuses") or ["current"]
    if isinstance(statuses, str):
        statuses = [s.strip() for s in statuses.split(",") if s.strip()]
    if not isinstance(statuses, list) or any(s not in STATUSES for s in statuses):
        raise ApiError(400, f"Invalid contentStatuses in cqlcontext: {statuses}")
    key, cid = data.get("spaceKey"), data.get("contentId")
    return CqlContextParam(
        str(key) if key else None, str(cid) if cid else None, tuple(str(s) for s in statuses)
    )


def run_search(ctx: Ctx, *, with_spaces: bool, archived_spaces: bool = False) -> SearchRun:
    """Parse ``cql``, match it against everything the caller may read, and order the hits."""
    started = time.perf_counter()
    cql = ctx.params.get("cql")
    if cql is None or not cql.strip():
        raise ApiError(400, "The cql query parameter is required")
    where = _cqlcontext(ctx)
    site = ctx.site
    try:
        query = parse(cql)
        match = query.predicate(
            cql_context(site, ctx.user, space_key=where.space_key, content_id=where.content_id)
        )
    except CqlError:
        raise ApiError(400, f"Could not parse cql : {cql}") from None
    visible = {
        key: site.can_view_space(ctx.user, s) and (s.status == "current" or archived_spaces)
        for key, s in site.spaces.items()
    }
    hits: list[Hit] = []
    for content in site.content.values():
        if (
            content.type not in SEARCHABLE_TYPES
            or content.status not in where.statuses
            or not visible.get(content.space_key, False)
            or not _container_live(ctx, content, where.statuses)
        ):
            continue
        record = ContentRecord(site, content)
        if match(record) and site.can_read(ctx.user, content):
            hits.append(record)
    if with_spaces and "space" in query.types():
        for space in site.spaces.values():
            space_record = SpaceRecord(site, space)
            if visible[space.key] and match(space_record):
                hits.append(space_record)
    ordered = query.sort(hits, by_relevance=True)
    return SearchRun(cql, query, ordered, started)


def _container_live(ctx: Ctx, content: Content, statuses: Sequence[str]) -> bool:
    if content.type not in ("comment", "attachment"):
        return True
    container = ctx.site.content.get(content.parent_id or "")
    return container is not None and container.status in statuses


# ---- paging ---------------------------------------------------------------------------------


def limit_cap(ctx: Ctx, expand: frozenset[str]) -> int:
    """The silent cap on ``limit``: DC 50/200/1000 by expansion; Cloud 25 for rendered bodies."""
    bodies = [e for e in expand if e == "body" or e.startswith("body.")]
    if ctx.site.flavor == "dc":
        return 50 if bodies else 200 if expand else 1000
    heavy = ("body.export_view", "body.styled_view")
    return 25 if any(e.startswith(heavy) for e in bodies) else 250


@dataclass(frozen=True)
class Window:
    """One page of hits: offset, effective limit, and the ``_links`` to go with it."""

    start: int
    limit: int
    links: dict[str, str]


def window(ctx: Ctx, run: SearchRun, cap: int) -> Window:
    """Where this page starts and how links continue: cursor on Cloud, start/limit on DC."""
    total = len(run.hits)
    if ctx.site.flavor == "dc":
        start, limit = v1_window(ctx, 25, cap)
        has_next = limit > 0 and start + limit < total
        return Window(start, limit, v1_links(ctx, start=start, limit=limit, has_next=has_next))
    limit = min(query_int(ctx, "limit", 25, minimum=0), cap)
    fingerprint = f"{zlib.crc32(run.cql.encode()):08x}"
    cursor = ctx.params.get("cursor")
    if cursor:
        key = decode_cursor(cursor)
        if len(key) != 2 or not isinstance(key[0], int) or key[1] != fingerprint or key[0] < 0:
            raise ApiError(400, f"Invalid cursor: {cursor}")
        start = key[0]
    else:
        start = query_int(ctx, "start", 0, minimum=0)
    path = v1_api_path(ctx)
    keep = [
        (k, v)
        for k, v in ctx.params.multi_items()
        if k not in ("cursor", "limit", "start", "next", "prev")
    ]
    links = {
        "base": ctx.root,
        "context": ctx.context,
        "self": f"{ctx.root}{path}?{urlencode(keep)}" if keep else f"{ctx.root}{path}",
    }

    def link(direction: str, offset: int) -> str:
        token = encode_cursor([offset, fingerprint])
        pairs = [*keep, (direction, "true"), ("cursor", token), ("limit", limit), ("start", offset)]
        return f"{path}?{urlencode(pairs)}"

    if limit > 0 and start + limit < total:
        links["next"] = link("next", start + limit)
    if start > 0:
        links["prev"] = link("prev", max(0, start - limit))
    return Window(start, limit, links)


# ---- GET /content/search --------------------------------------------------------------------


async def content_search(ctx: Ctx) -> Response:
    """GET /content/search: a v1 ContentArray of the readable content matching ``cql``."""
    run = run_search(ctx, with_spaces=False)
    expand = parse_expand(ctx)
    page = window(ctx, run, limit_cap(ctx, expand))
    chunk = run.hits[page.start : page.start + page.limit]
    results = [
        content_v1(ctx, hit.content, expand) for hit in chunk if isinstance(hit, ContentRecord)
    ]
    return ok(
        {
            "results": results,
            "start": page.start,
            "limit": page.limit,
            "size": len(results),
            "_links": page.links,
        }
    )


# ---- GET /search ----------------------------------------------------------------------------


async def search(ctx: Ctx) -> Response:
    """GET /search: SearchResult wrappers (content and, for ``type = space``, spaces)."""
    strategy = ctx.params.get("excerpt") or "highlight"
    if strategy not in EXCERPTS:
        raise ApiError(400, f"Invalid excerpt strategy '{strategy}'; use one of {EXCERPTS}")
    archived = query_bool(ctx, "includeArchivedSpaces")
    run = run_search(ctx, with_spaces=True, archived_spaces=archived)
    expand = parse_expand(ctx)
    content_expand = _sub(expand, "content")
    page = window(ctx, run, limit_cap(ctx, content_expand))
    terms = [t for _, q in run.query.text_queries() for t in q.terms]
    chunk = run.hits[page.start : page.start + page.limit]
    results = [
        _content_result(ctx, run, hit, content_expand, terms, strategy)
        if isinstance(hit, ContentRecord)
        else _space_result(ctx, run, hit, _sub(expand, "space"), terms, strategy)
        for hit in chunk
    ]
    return ok(
        {
            "results": results,
            "start": page.start,
            "limit": page.limit,
            "size": len(results),
            "totalSize": len(run.hits),
            "cqlQuery": run.cql,
            "searchDuration": int((time.perf_counter() - run.started) * 1000),
            "_links": page.links,
        }
    )


def _sub(expand: frozenset[str], prefix: str) -> frozenset[str]:
    return frozenset(e[len(prefix) + 1 :] for e in expand if e.startswith(prefix + "."))


def _content_result(
    ctx: Ctx,
    run: SearchRun,
    hit: ContentRecord,
    expand: frozenset[str],
    terms: list[TextTerm],
    strategy: str,
) -> dict[str, Any]:
    content = hit.content
    space = ctx.site.spaces[content.space_key]
    out: dict[str, Any] = {
        "content": content_v1(ctx, content, expand),
        "title": excerpt(content.title, terms, strategy, whole=True),
        "excerpt": excerpt(analysed(ctx.site, content).plain, terms, strategy),
        "url": webui(ctx, content),
        "resultGlobalContainer": _space_container(ctx, space),
    }
    container = ctx.site.content.get(content.parent_id or "")
    if content.type in ("comment", "attachment") and container is not None:
        out["resultParentContainer"] = {
            "title": container.title,
            "displayUrl": webui(ctx, container),
        }
    out.update(
        {
            "breadcrumbs": [],
            "entityType": "content",
            "iconCssClass": _icon(content),
            "lastModified": iso(content.updated_at),
            "friendlyLastModified": friendly(content.updated_at, ctx.site.clock()),
            "score": run.query.score(hit),
        }
    )
    return out


def _space_result(
    ctx: Ctx,
    run: SearchRun,
    hit: SpaceRecord,
    expand: frozenset[str],
    terms: list[TextTerm],
    strategy: str,
) -> dict[str, Any]:
    space = hit.space
    return {
        "space": space_v1(ctx, space, expand),
        "title": excerpt(space.name, terms, strategy, whole=True),
        "excerpt": excerpt(space.description, terms, strategy),
        "url": _space_container(ctx, space)["displayUrl"],
        "breadcrumbs": [],
        "entityType": "space",
        "iconCssClass": "aui-icon content-type-space",
        "lastModified": iso(space.created_at),
        "friendlyLastModified": friendly(space.created_at, ctx.site.clock()),
        "score": run.query.score(hit),
    }


def _space_container(ctx: Ctx, space: Space) -> dict[str, str]:
    display = f"/spaces/{space.key}" if ctx.site.flavor == "cloud" else f"/display/{space.key}"
    return {"title": space.name, "displayUrl": display}


def _icon(content: Content) -> str:
    if content.type != "attachment":
        return f"aui-icon content-type-{content.type}"
    media = content.media_type
    kind = (
        "image"
        if media.startswith("image/")
        else "pdf"
        if media == "application/pdf"
        else "text"
        if media.startswith("text/")
        else "file"
    )
    return f"aui-icon content-type-attachment-{kind}"


# ---- excerpts and dates ---------------------------------------------------------------------


def excerpt(text: str, terms: Sequence[TextTerm], strategy: str, *, whole: bool = False) -> str:
    """Text around the first hit, matches wrapped in ``@@@hl@@@…@@@endhl@@@`` when highlighting."""
    if strategy == "none" and not whole:
        return ""
    highlight = strategy.startswith("highlight")
    escape = not strategy.endswith("_unescaped")
    spans = _merged([s for t in terms for s in t.spans(text)]) if highlight else []
    start, end = 0, len(text)
    if not whole:
        if spans and spans[0][0] > EXCERPT_CHARS // 3:
            start = text.find(" ", spans[0][0] - EXCERPT_CHARS // 3) + 1
        end = min(len(text), start + EXCERPT_CHARS)
    out: list[str] = []
    pos = start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        out += [_esc(text[pos:a], escape), HL_OPEN, _esc(text[a:b], escape), HL_CLOSE]
        pos = b
    out.append(_esc(text[pos:end], escape))
    return "".join(out)


def _esc(text: str, escape: bool) -> str:
    return html.escape(text) if escape else text


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def friendly(when: datetime, now: datetime) -> str:
    """Confluence's friendly date: "5 minutes ago", "about an hour ago", "Mar 05, 2025"."""
    seconds = (now - when).total_seconds()
    if 0 <= seconds < 60:
        return "just a moment ago"
    if 0 <= seconds < 3600:
        minutes = int(seconds // 60)
        return "1 minute ago" if minutes == 1 else f"{minutes} minutes ago"
    if 0 <= seconds < 7200:
        return "about an hour ago"
    if 0 <= seconds < 86400:
        return f"{int(seconds // 3600)} hours ago"
    return when.strftime("%b %d, %Y")


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/content/search", content_search, "v1", scopes=SEARCH_SCOPES),
    Endpoint("GET", "/search", search, "v1", scopes=SEARCH_SCOPES),
]
