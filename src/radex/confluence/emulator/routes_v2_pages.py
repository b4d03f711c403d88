"""Cloud v2 reads of the content tree: pages, blog posts, folders, children, descendants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from starlette.responses import Response

from radex.confluence.emulator.http import (
    ApiError,
    Ctx,
    Endpoint,
    epoch_ms,
    ok,
    query_bool,
    query_int,
    v2_limit,
    v2_page,
)
from radex.confluence.emulator.model import Content, ContentType
from radex.confluence.emulator.render_v2 import (
    child_v2,
    descendant_v2,
    folder_v2,
    label_key,
    label_v2,
    operations_v2,
    optional_field,
    page_v2,
    version_v2,
)
from radex.confluence.emulator.routes_v2_params import (
    body_format,
    enum_param,
    id_list,
    include,
    path_id,
    positive_int,
    statuses,
)

SortKey = Callable[[Content], list[Any]]

PAGE_LIST_STATUSES = ("current", "archived", "deleted", "trashed")
PAGE_SINGLE_STATUSES = ("current", "archived", "trashed", "deleted", "historical", "draft")
BLOG_LIST_STATUSES = ("current", "deleted", "trashed")
BLOG_SINGLE_STATUSES = ("current", "trashed", "deleted", "historical", "draft")
PAGE_SORTS = ("id", "-id", "created-date", "-created-date", "modified-date", "-modified-date")
CHILD_SORTS = (*PAGE_SORTS, "child-position", "-child-position")
TREE_STATUSES = ("current", "archived")
READ_PAGE = ("read:page:confluence",)
READ_TREE = ("read:hierarchical-content:confluence",)
READ_META = ("read:content.metadata:confluence",)
READ_FOLDER = ("read:folder:confluence",)


def _desc_text(text: str) -> list[int]:
    """A key that orders strings in reverse (a longer string after its own prefix reversed)."""
    return [-ord(ch) for ch in text] + [1]


def sort_key(sort: str) -> SortKey:
    """The keyset sort key for a v2 ``sort`` value (ids break ties)."""
    field, desc = sort.lstrip("-"), sort.startswith("-")
    sign = -1 if desc else 1
    if field == "title":
        if desc:
            return lambda c: [_desc_text(c.title), -int(c.id)]
        return lambda c: [c.title, int(c.id)]
    if field == "created-date":
        return lambda c: [sign * epoch_ms(c.created_at), sign * int(c.id)]
    if field == "modified-date":
        return lambda c: [sign * epoch_ms(c.updated_at), sign * int(c.id)]
    if field == "child-position":
        return lambda c: [sign * c.position, sign * int(c.id)]
    return lambda c: [sign * int(c.id)]


def visible(ctx: Ctx, content: Content) -> bool:
    """True when the caller may read the content."""
    return ctx.site.can_read(ctx.user, content)


def read_typed(
    ctx: Ctx, content_id: str, types: tuple[ContentType, ...], allowed: tuple[str, ...]
) -> Content:
    """Readable content of one of ``types`` in one of ``allowed`` statuses, else 404."""
    content = ctx.read(content_id, statuses=allowed)
    if content.type not in types:
        raise ApiError(404, "Not Found")
    return content


# ---- lists ---------------------------------------------------------------------------------


def _list(ctx: Ctx, type_: ContentType, space_key: str | None, *, roots_only: bool) -> Response:
    is_page = type_ == "page"
    ids = set(id_list(ctx, "id", max_items=250)) if space_key is None else set()
    space_ids = set(id_list(ctx, "space-id", max_items=100)) if space_key is None else set()
    allowed = PAGE_LIST_STATUSES if is_page else BLOG_LIST_STATUSES
    wanted = statuses(ctx, allowed, TREE_STATUSES if is_page else ("current",))
    title = ctx.params.get("title")
    fmt = body_format(ctx, single=False)
    sorts = (*PAGE_SORTS, "title", "-title") if is_page else PAGE_SORTS
    sort = enum_param(ctx, "sort", sorts, "PageSortOrder" if is_page else "BlogPostSortOrder", "id")
    live_only = (
        is_page and space_key is None and enum_param(ctx, "subtype", ("live", "page"), "string")
    ) == "live"
    site = ctx.site

    def keep(c: Content) -> bool:
        return (
            c.type == type_
            and c.status in wanted
            and (space_key is None or c.space_key == space_key)
            and (not ids or c.id in ids)
            and (not space_ids or site.spaces[c.space_key].id in space_ids)
            and (title is None or c.title == title)
            and (not roots_only or c.parent_id is None)
            and visible(ctx, c)
        )

    items = [] if live_only else [c for c in site.content.values() if keep(c)]
    return v2_page(
        ctx,
        items,
        sort_key=sort_key(sort or "id"),
        render=lambda c: page_v2(ctx, c, fmt=fmt),
    )


async def list_pages(ctx: Ctx) -> Response:
    """GET /pages."""
    return _list(ctx, "page", None, roots_only=False)


async def list_blogposts(ctx: Ctx) -> Response:
    """GET /blogposts."""
    return _list(ctx, "blogpost", None, roots_only=False)


async def space_pages(ctx: Ctx) -> Response:
    """GET /spaces/{id}/pages (depth=all|root)."""
    space = ctx.space_by_id(path_id(ctx))
    depth = enum_param(ctx, "depth", ("all", "root"), "string", "all")
    return _list(ctx, "page", space.key, roots_only=depth == "root")


async def space_blogposts(ctx: Ctx) -> Response:
    """GET /spaces/{id}/blogposts."""
    space = ctx.space_by_id(path_id(ctx))
    return _list(ctx, "blogpost", space.key, roots_only=False)


# ---- single content ------------------------------------------------------------------------


def _single(ctx: Ctx, type_: ContentType) -> Response:
    cid = path_id(ctx)
    is_page = type_ == "page"
    allowed = statuses(
        ctx,
        PAGE_SINGLE_STATUSES if is_page else BLOG_SINGLE_STATUSES,
        TREE_STATUSES if is_page else ("current",),
    )
    if query_bool(ctx, "get-draft"):
        allowed = (*allowed, "draft")
    fmt = body_format(ctx, single=True)
    number = positive_int(ctx, "version")
    content = read_typed(ctx, cid, (type_,), allowed)
    version = content.at_version(number) if number is not None else None
    if number is not None and version is None:
        raise ApiError(404, "Not Found")
    body = page_v2(
        ctx,
        content,
        fmt=fmt,
        version=version,
        single=True,
        include_version=include(ctx, "version", True),
    )
    base = f"/{'pages' if is_page else 'blogposts'}/{content.id}"
    add_includes(ctx, content, body, base)
    if is_page:
        add_direct_children(ctx, content, body, base)
    return ok(body)


def add_direct_children(ctx: Ctx, parent: Content, body: dict[str, Any], base: str) -> None:
    """``include-direct-children``: the first 50 children (pages, folders) as ``directChildren``."""
    if include(ctx, "direct-children"):
        body["directChildren"] = optional_field(
            ctx,
            _tree_kids(ctx, parent, pages_only=False),
            lambda c: child_v2(ctx, c, typed=True),
            f"{base}/direct-children",
            sort_key("child-position"),
        )


def add_includes(ctx: Ctx, content: Content, body: dict[str, Any], base: str) -> None:
    """The ``include-*`` blocks a single-content GET asked for."""
    if include(ctx, "labels"):
        body["labels"] = optional_field(ctx, content.labels, label_v2, f"{base}/labels", label_key)
    if include(ctx, "properties"):
        body["properties"] = optional_field(ctx, [], dict, f"{base}/properties", lambda _: [0])
    if include(ctx, "operations"):
        ops = operations_v2(ctx.site, ctx.user, content)
        body["operations"] = optional_field(
            ctx, ops, dict, f"{base}/operations", lambda o: [o["operation"], o["targetType"]]
        )
    if include(ctx, "likes"):
        body["likes"] = optional_field(ctx, [], dict, f"{base}/likes", lambda _: [0])
    if include(ctx, "versions"):
        body["versions"] = optional_field(
            ctx,
            content.versions,
            lambda v: version_v2(ctx.site, v),
            f"{base}/versions",
            lambda v: [-v.number],
        )
    if include(ctx, "favorited-by-current-user-status"):
        body["isFavoritedByCurrentUser"] = False


async def get_page(ctx: Ctx) -> Response:
    """GET /pages/{id}."""
    return _single(ctx, "page")


async def get_blogpost(ctx: Ctx) -> Response:
    """GET /blogposts/{id}."""
    return _single(ctx, "blogpost")


async def get_folder(ctx: Ctx) -> Response:
    """GET /folders/{id}."""
    folder = read_typed(ctx, path_id(ctx), ("folder",), ("current", "archived"))
    body = folder_v2(ctx, folder, single=True)
    if include(ctx, "operations"):
        ops = operations_v2(ctx.site, ctx.user, folder)
        body["operations"] = optional_field(
            ctx,
            ops,
            dict,
            f"/folders/{folder.id}/operations",
            lambda o: [o["operation"], o["targetType"]],
        )
    if include(ctx, "properties"):
        body["properties"] = optional_field(
            ctx, [], dict, f"/folders/{folder.id}/properties", lambda _: [0]
        )
    add_direct_children(ctx, folder, body, f"/folders/{folder.id}")
    return ok(body)


# ---- the tree ------------------------------------------------------------------------------


def _tree_kids(ctx: Ctx, parent: Content, pages_only: bool) -> list[Content]:
    return [
        c
        for c in ctx.site.children(parent.id)
        if (c.type == "page" or (not pages_only and c.type == "folder"))
        and c.status in TREE_STATUSES
        and visible(ctx, c)
    ]


def _children(ctx: Ctx, types: tuple[ContentType, ...], *, typed: bool) -> Response:
    parent = read_typed(ctx, path_id(ctx), types, TREE_STATUSES)
    sort = enum_param(ctx, "sort", CHILD_SORTS, "string", "child-position")
    kids = _tree_kids(ctx, parent, pages_only=not typed)
    return v2_page(
        ctx,
        kids,
        sort_key=sort_key(sort or "child-position"),
        render=lambda c: child_v2(ctx, c, typed=typed),
    )


async def page_children(ctx: Ctx) -> Response:
    """GET /pages/{id}/children (deprecated: child pages only)."""
    return _children(ctx, ("page",), typed=False)


async def page_direct_children(ctx: Ctx) -> Response:
    """GET /pages/{id}/direct-children (pages and folders)."""
    return _children(ctx, ("page",), typed=True)


async def folder_direct_children(ctx: Ctx) -> Response:
    """GET /folders/{id}/direct-children."""
    return _children(ctx, ("folder",), typed=True)


def _walk(
    ctx: Ctx, node: Content, max_depth: int, depth: int, path: list[list[int]]
) -> Iterator[tuple[Content, int, list[list[int]]]]:
    for kid in _tree_kids(ctx, node, pages_only=False):
        kid_path = [*path, [kid.position, int(kid.id)]]
        yield kid, depth, kid_path
        if depth < max_depth:
            yield from _walk(ctx, kid, max_depth, depth + 1, kid_path)


def _descendants(ctx: Ctx, type_: ContentType) -> Response:
    root = read_typed(ctx, path_id(ctx), (type_,), TREE_STATUSES)
    depth = query_int(ctx, "depth", 2)
    if depth < 1 or depth > 10:
        raise ApiError(400, f"Depth must be between 1 and 10, but was {depth}")
    found = list(_walk(ctx, root, depth, 1, []))
    return v2_page(
        ctx,
        found,
        sort_key=lambda item: item[2],
        render=lambda item: descendant_v2(item[0], item[1]),
    )


async def page_descendants(ctx: Ctx) -> Response:
    """GET /pages/{id}/descendants (top-down, depth 1..10, default 2)."""
    return _descendants(ctx, "page")


async def folder_descendants(ctx: Ctx) -> Response:
    """GET /folders/{id}/descendants."""
    return _descendants(ctx, "folder")


def _ancestors(ctx: Ctx, type_: ContentType) -> Response:
    content = read_typed(ctx, path_id(ctx), (type_,), (*TREE_STATUSES, "trashed", "draft"))
    limit = v2_limit(ctx)
    chain = [a for a in ctx.site.ancestors(content) if a.type in ("page", "folder")]
    return ok(
        {
            "results": [{"id": a.id, "type": a.type} for a in chain[-limit:]],
            "_links": {"base": ctx.root},
        }
    )


async def page_ancestors(ctx: Ctx) -> Response:
    """GET /pages/{id}/ancestors (root first; when truncated, the nearest ``limit``)."""
    return _ancestors(ctx, "page")


async def folder_ancestors(ctx: Ctx) -> Response:
    """GET /folders/{id}/ancestors."""
    return _ancestors(ctx, "folder")


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/pages", list_pages, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/pages/{id}", get_page, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/pages/{id}/children", page_children, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/pages/{id}/direct-children", page_direct_children, "v2", scopes=READ_TREE),
    Endpoint("GET", "/pages/{id}/descendants", page_descendants, "v2", scopes=READ_TREE),
    Endpoint("GET", "/pages/{id}/ancestors", page_ancestors, "v2", scopes=READ_META),
    Endpoint("GET", "/spaces/{id}/pages", space_pages, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/blogposts", list_blogposts, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/blogposts/{id}", get_blogpost, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/spaces/{id}/blogposts", space_blogposts, "v2", scopes=READ_PAGE),
    Endpoint("GET", "/folders/{id}", get_folder, "v2", scopes=READ_FOLDER),
    Endpoint(
        "GET", "/folders/{id}/direct-children", folder_direct_children, "v2", scopes=READ_TREE
    ),
    Endpoint("GET", "/folders/{id}/descendants", folder_descendants, "v2", scopes=READ_TREE),
    Endpoint("GET", "/folders/{id}/ancestors", folder_ancestors, "v2", scopes=READ_META),
]
