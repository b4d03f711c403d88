"""JSON shapes of the classic REST v1 API: Content, Space, Version, history, body, labels."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from radex.confluence.emulator.http import ApiError, Ctx, iso
from radex.confluence.emulator.model import Content, Label, Space, Version
from radex.confluence.emulator.render_v1_body import (
    attachment_bytes,
    body_v1,
    escape_html,
    extensions_v1,
)
from radex.confluence.emulator.render_v1_links import (
    api_self,
    download_path,
    static_root,
    tiny_id,
    webui,
    with_base,
)
from radex.confluence.emulator.render_v1_people import (
    anonymous_v1,
    expands,
    group_v1,
    restriction_v1,
    restrictions_v1,
    space_permissions_v1,
    sub_expand,
    user_ref,
    user_v1,
)

__all__ = [
    "CLOUD_DEFAULT_EXPAND",
    "MAX_SUB_EXPANSIONS",
    "anonymous_v1",
    "api_self",
    "attachment_bytes",
    "body_v1",
    "child_types_v1",
    "children_v1",
    "content_v1",
    "descendant_items",
    "descendants_v1",
    "download_path",
    "escape_html",
    "expands",
    "extensions_v1",
    "group_v1",
    "history_v1",
    "inline_array",
    "labels_v1",
    "metadata_v1",
    "operations_v1",
    "parse_expand",
    "restriction_v1",
    "restrictions_v1",
    "space_permissions_v1",
    "space_v1",
    "static_root",
    "sub_expand",
    "tiny_id",
    "user_ref",
    "user_v1",
    "version_v1",
    "visible_children",
    "webui",
    "with_base",
]

MAX_SUB_EXPANSIONS = 8
CLOUD_DEFAULT_EXPAND = frozenset({"space", "history", "version"})
_CONTENT_FIELDS = (
    "childTypes",
    "container",
    "metadata",
    "operations",
    "children",
    "restrictions",
    "history",
    "ancestors",
    "body",
    "version",
    "descendants",
    "space",
)
_SPACE_FIELDS = (
    "settings",
    "metadata",
    "operations",
    "lookAndFeel",
    "identifiers",
    "permissions",
    "icon",
    "description",
    "theme",
    "history",
    "homepage",
)

# ---- expansions ------------------------------------------------------------------------------


def parse_expand(ctx: Ctx, *, default: frozenset[str] = frozenset()) -> frozenset[str]:
    """The ``expand`` parameter(s) as a set (``default`` when absent); 400 past Cloud's limit."""
    raw = ctx.params.getlist("expand")
    if not raw:
        return default
    items = frozenset(part.strip() for value in raw for part in value.split(",") if part.strip())
    if ctx.site.flavor == "cloud":
        for item in items:
            if item.count(".") + 1 > MAX_SUB_EXPANSIONS:
                raise ApiError(
                    400, f"Maximum sub-expansions allowed is {MAX_SUB_EXPANSIONS}: {item}"
                )
    return items


# ---- spaces ----------------------------------------------------------------------------------


def space_v1(ctx: Ctx, space: Space, expand: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A v1 Space with the requested expansions (description.plain, homepage, permissions, …)."""
    out: dict[str, Any] = {"id": int(space.id), "key": space.key, "name": space.name}
    done: set[str] = set()
    if expands(expand, "icon"):
        out["icon"] = {
            "path": f"{static_root(ctx)}/images/logo/default-space-logo-256.png",
            "width": 48,
            "height": 48,
            "isDefault": True,
        }
        done.add("icon")
    if expands(expand, "description"):
        out["description"] = _space_description(space, sub_expand(expand, "description"))
        done.add("description")
    if expands(expand, "homepage"):
        home = ctx.site.content.get(space.homepage_id or "")
        if home is not None and ctx.site.can_read(ctx.user, home):
            out["homepage"] = content_v1(ctx, home, sub_expand(expand, "homepage"))
            done.add("homepage")
    out["type"] = space.type
    out["status"] = space.status
    if expands(expand, "permissions"):
        out["permissions"] = space_permissions_v1(ctx, space)
        done.add("permissions")
    if expands(expand, "history"):
        out["history"] = {
            "createdDate": iso(space.created_at),
            "createdBy": user_ref(ctx, space.author),
        }
        done.add("history")
    if expands(expand, "metadata"):
        out["metadata"] = {
            "labels": {"results": [], "start": 0, "limit": 200, "size": 0},
            "_expandable": {},
        }
        done.add("metadata")
    expandable: dict[str, str] = {}
    for name in _SPACE_FIELDS:
        if name in done:
            continue
        if name == "homepage" and space.homepage_id:
            expandable[name] = f"/rest/api/content/{space.homepage_id}"
        else:
            expandable[name] = ""
    out["_expandable"] = expandable
    webui_path = f"/spaces/{space.key}" if ctx.site.flavor == "cloud" else f"/display/{space.key}"
    out["_links"] = {"webui": webui_path, "self": api_self(ctx, f"/space/{space.key}")}
    return out


def _space_description(space: Space, sub: frozenset[str]) -> dict[str, Any]:
    reps = [r for r in ("plain", "view") if r in sub] or ["plain", "view"]
    desc: dict[str, Any] = {}
    for rep in reps:
        value = space.description if rep == "plain" else f"<p>{escape_html(space.description)}</p>"
        desc[rep] = {"value": value, "representation": rep, "embeddedContent": []}
    desc["_expandable"] = {r: "" for r in ("view", "plain") if r not in reps}
    return desc


# ---- content ---------------------------------------------------------------------------------


def content_v1(
    ctx: Ctx,
    content: Content,
    expand: frozenset[str],
    *,
    version: Version | None = None,
) -> dict[str, Any]:
    """A v1 Content object; ``version`` renders an older version (status ``historical``)."""
    ver = version or content.current
    historical = ver.number != content.version
    out: dict[str, Any] = {
        "id": content.id,
        "type": content.type,
        "status": "historical" if historical else content.status,
        "title": ver.title,
    }
    done: set[str] = set()
    space = ctx.site.spaces.get(content.space_key)
    if expands(expand, "space") and space is not None:
        out["space"] = space_v1(ctx, space, sub_expand(expand, "space"))
        done.add("space")
    if expands(expand, "history"):
        out["history"] = history_v1(ctx, content, sub_expand(expand, "history"), version=ver)
        done.add("history")
    if expands(expand, "version"):
        out["version"] = version_v1(ctx, content, ver, sub_expand(expand, "version"))
        done.add("version")
    if expands(expand, "ancestors"):
        sub = sub_expand(expand, "ancestors")
        out["ancestors"] = [content_v1(ctx, a, sub) for a in _ancestors(ctx, content)]
        done.add("ancestors")
    if expands(expand, "container"):
        out["container"] = _container(ctx, content, sub_expand(expand, "container"))
        done.add("container")
    if expands(expand, "children"):
        out["children"] = children_v1(ctx, content, sub_expand(expand, "children"))
        done.add("children")
    if expands(expand, "descendants"):
        out["descendants"] = descendants_v1(ctx, content, sub_expand(expand, "descendants"))
        done.add("descendants")
    if expands(expand, "childTypes"):
        out["childTypes"] = child_types_v1(ctx, content)
        done.add("childTypes")
    if expands(expand, "body"):
        out["body"] = body_v1(ctx, content, ver, sub_expand(expand, "body"))
        done.add("body")
    if expands(expand, "metadata"):
        out["metadata"] = metadata_v1(ctx, content, sub_expand(expand, "metadata"))
        done.add("metadata")
    if content.type == "attachment":  # attachments always carry their media type here
        meta = out.setdefault("metadata", {"_expandable": {"labels": "", "properties": ""}})
        meta["mediaType"] = content.media_type
        if ver.message:
            meta["comment"] = ver.message
        done.add("metadata")
    if expands(expand, "restrictions"):
        out["restrictions"] = restrictions_v1(ctx, content, sub_expand(expand, "restrictions"))
        done.add("restrictions")
    if expands(expand, "operations"):
        out["operations"] = operations_v1(ctx, content)
        done.add("operations")
    out["extensions"] = extensions_v1(ctx, content, ver, sub_expand(expand, "extensions"))
    out["_expandable"] = _content_expandable(ctx, content, done)
    out["_links"] = _content_links(ctx, content, ver)
    return out


def _content_expandable(ctx: Ctx, content: Content, done: set[str]) -> dict[str, str]:
    cid = content.id
    links = {
        "container": (
            f"/rest/api/space/{content.space_key}"
            if content.type in ("page", "blogpost", "folder")
            else f"/rest/api/content/{content.parent_id}"
        ),
        "children": f"/rest/api/content/{cid}/child",
        "restrictions": f"/rest/api/content/{cid}/restriction/byOperation",
        "history": f"/rest/api/content/{cid}/history",
        "descendants": f"/rest/api/content/{cid}/descendant",
        "space": f"/rest/api/space/{content.space_key}",
        "version": "",
    }
    out = {name: links.get(name, "") for name in _CONTENT_FIELDS if name not in done}
    if ctx.site.flavor == "cloud":
        out.setdefault("schedulePublishDate", "")
        out.setdefault("schedulePublishInfo", "")
    return out


def _content_links(ctx: Ctx, content: Content, ver: Version) -> dict[str, str]:
    links: dict[str, str] = {"webui": webui(ctx, content, ver.title)}
    if content.type == "attachment":
        links["download"] = download_path(content, ver)
    if content.type in ("page", "blogpost"):
        links["edit"] = f"/pages/resumedraft.action?draftId={content.id}"
        if ctx.site.flavor == "cloud":
            links["editui"] = links["edit"]
        links["tinyui"] = f"/x/{tiny_id(content.id)}"
    links["self"] = api_self(ctx, f"/content/{content.id}")
    return links


def version_v1(
    ctx: Ctx, content: Content, ver: Version, expand: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A v1 Version (``by`` in the flavour's identity style)."""
    out: dict[str, Any] = {
        "by": user_ref(ctx, ver.author),
        "when": iso(ver.when),
        "friendlyWhen": ver.when.strftime("%b %d, %Y"),
        "message": ver.message,
        "number": ver.number,
        "minorEdit": ver.minor_edit,
    }
    if ctx.site.flavor == "cloud":
        out["contentTypeModified"] = False
    else:
        out["hidden"] = False
    expandable: dict[str, str] = {"collaborators": ""}
    if expands(expand, "content"):
        out["content"] = content_v1(ctx, content, sub_expand(expand, "content"), version=ver)
    else:
        expandable["content"] = f"/rest/api/content/{content.id}"
    out["_expandable"] = expandable
    out["_links"] = {"self": api_self(ctx, f"/content/{content.id}/version/{ver.number}")}
    return out


def history_v1(
    ctx: Ctx, content: Content, expand: frozenset[str], *, version: Version | None = None
) -> dict[str, Any]:
    """A v1 ContentHistory: latest, createdBy, createdDate and, when expanded, version links."""
    ver = version or content.current
    out: dict[str, Any] = {
        "latest": ver.number == content.version,
        "createdBy": user_ref(ctx, content.author),
        "createdDate": iso(content.created_at),
    }
    expandable: dict[str, str] = {}
    neighbours = {
        "lastUpdated": content.current,
        "previousVersion": content.at_version(ver.number - 1),
        "nextVersion": content.at_version(ver.number + 1),
    }
    for name, target in neighbours.items():
        if expands(expand, name) and target is not None:
            out[name] = version_v1(ctx, content, target, sub_expand(expand, name))
        else:
            expandable[name] = ""
    if expands(expand, "contributors"):
        keys = sorted({v.author for v in content.versions})
        users = [ctx.site.users[k] for k in keys if k in ctx.site.users]
        publishers: dict[str, Any] = {"userKeys": [u.user_key for u in users]}
        if ctx.site.flavor == "cloud":
            publishers["userAccountIds"] = [u.account_id for u in users]
        if expands(sub_expand(expand, "contributors"), "publishers"):
            publishers["users"] = [user_v1(ctx, u) for u in users]
        out["contributors"] = {"publishers": publishers}
    else:
        expandable["contributors"] = ""
    out["_expandable"] = expandable
    out["_links"] = {"self": api_self(ctx, f"/content/{content.id}/history")}
    return out


def labels_v1(
    ctx: Ctx, content: Content, labels: Iterable[Label] | None = None
) -> list[dict[str, Any]]:
    """Labels as v1 Label objects ``{prefix,name,id,label}``."""
    return [
        {"prefix": lab.prefix, "name": lab.name, "id": lab.id, "label": lab.name}
        for lab in (content.labels if labels is None else labels)
    ]


def metadata_v1(ctx: Ctx, content: Content, expand: frozenset[str]) -> dict[str, Any]:
    """The ``metadata`` object; ``labels`` as a LabelArray."""
    out: dict[str, Any] = {}
    expandable: dict[str, str] = {}
    if "labels" in expand or not expand:
        labels = labels_v1(ctx, content)
        out["labels"] = {
            "results": labels,
            "start": 0,
            "limit": 200,
            "size": len(labels),
            "_links": {"self": api_self(ctx, f"/content/{content.id}/label")},
        }
    else:
        expandable["labels"] = f"/rest/api/content/{content.id}/label"
    if "properties" in expand:
        out["properties"] = {}
    else:
        expandable["properties"] = f"/rest/api/content/{content.id}/property"
    for name in ("currentuser", "frontend"):
        expandable[name] = ""
    out["_expandable"] = expandable
    return out


def _container(ctx: Ctx, content: Content, expand: frozenset[str]) -> dict[str, Any]:
    if content.type in ("page", "blogpost", "folder"):
        return space_v1(ctx, ctx.site.spaces[content.space_key], expand)
    parent = ctx.site.content.get(content.parent_id or "")
    if parent is None:
        return {}
    return content_v1(ctx, parent, expand)


def visible_children(ctx: Ctx, content: Content, type_: str) -> list[Content]:
    """Direct children of one type that the caller may read, current ones only."""
    return [
        c
        for c in ctx.site.children(content.id)
        if c.type == type_ and c.status == "current" and ctx.site.can_read(ctx.user, c)
    ]


def children_v1(ctx: Ctx, content: Content, expand: frozenset[str]) -> dict[str, Any]:
    """A ContentChildren map with the requested buckets (page, comment, attachment)."""
    out: dict[str, Any] = {}
    expandable: dict[str, str] = {}
    for kind in ("attachment", "comment", "page"):
        base = f"/rest/api/content/{content.id}/child/{kind}"
        if expands(expand, kind):
            kids = visible_children(ctx, content, kind)
            out[kind] = inline_array(ctx, kids, sub_expand(expand, kind), base)
        else:
            expandable[kind] = base
    out["_expandable"] = expandable
    out["_links"] = {"self": api_self(ctx, f"/content/{content.id}/child")}
    return out


def descendants_v1(ctx: Ctx, content: Content, expand: frozenset[str]) -> dict[str, Any]:
    """A ContentChildren map of all descendants per requested type."""
    out: dict[str, Any] = {}
    expandable: dict[str, str] = {}
    for kind in ("attachment", "comment", "page"):
        base = f"/rest/api/content/{content.id}/descendant/{kind}"
        if expands(expand, kind):
            items = descendant_items(ctx, content, kind)
            out[kind] = inline_array(ctx, items, sub_expand(expand, kind), base)
        else:
            expandable[kind] = base
    out["_expandable"] = expandable
    out["_links"] = {"self": api_self(ctx, f"/content/{content.id}/descendant")}
    return out


def descendant_items(
    ctx: Ctx, content: Content, kind: str, *, max_depth: int | None = None
) -> list[Content]:
    """Readable current descendants of one type in tree pre-order (each before its subtree)."""
    out: list[Content] = []
    stack: list[tuple[Iterator[Content], int]] = [(iter(ctx.site.children(content.id)), 1)]
    while stack:
        kids, depth = stack[-1]
        kid = next(kids, None)
        if kid is None:
            stack.pop()
            continue
        if kid.status != "current" or not ctx.site.can_read(ctx.user, kid):
            continue
        if kid.type == kind:
            out.append(kid)
        if kid.type in ("page", "folder") and (max_depth is None or depth < max_depth):
            stack.append((iter(ctx.site.children(kid.id)), depth + 1))
    return out


def inline_array(
    ctx: Ctx, items: list[Content], expand: frozenset[str], path: str, limit: int = 25
) -> dict[str, Any]:
    """A ContentArray embedded in an expansion: the first ``limit`` items, next link when more."""
    chunk = items[:limit]
    links: dict[str, str] = {"self": f"{ctx.root}{path}"}
    if len(items) > limit:
        links["next"] = f"{path}?limit={limit}&start={limit}"
    return {
        "results": [content_v1(ctx, c, expand) for c in chunk],
        "start": 0,
        "limit": limit,
        "size": len(chunk),
        "_links": links,
    }


def child_types_v1(ctx: Ctx, content: Content) -> dict[str, Any]:
    """Whether the content has attachments, comments and child pages."""
    out: dict[str, Any] = {}
    for kind in ("attachment", "comment", "page"):
        out[kind] = {
            "value": bool(visible_children(ctx, content, kind)),
            "_links": {"self": api_self(ctx, f"/content/{content.id}/child/{kind}")},
        }
    return out


def operations_v1(ctx: Ctx, content: Content) -> list[dict[str, str]]:
    """The operations the caller may perform on the content."""
    ops = ["read"]
    if ctx.site.can_update(ctx.user, content):
        ops += ["update", "delete"]
    return [{"operation": op, "targetType": content.type} for op in ops]


def _ancestors(ctx: Ctx, content: Content) -> list[Content]:
    """Root first: a comment's parent comments (its page is its container), else the page tree."""
    if content.type != "comment":
        return ctx.site.ancestors(content)
    chain: list[Content] = []
    parent = ctx.site.content.get(content.parent_comment_id or "")
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = ctx.site.content.get(parent.parent_comment_id or "")
    return chain[::-1]
