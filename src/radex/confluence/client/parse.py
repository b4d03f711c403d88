"""Confluence JSON (v2 and classic v1) → ``radex.types`` values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, cast

from radex.types import (
    Attachment,
    Comment,
    CommentLocation,
    ContentRef,
    ContentStatus,
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

Json = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATUSES = ("current", "archived", "trashed", "draft", "deleted", "historical")
_KINDS = ("page", "blogpost", "comment", "attachment", "folder")


def when(value: Any) -> datetime:
    """A Confluence timestamp (ISO-8601, ``Z`` or offset; or epoch ms) as an aware datetime."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str) or not value:
        return EPOCH
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return EPOCH
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def obj(value: Any) -> Json:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def maybe_when(value: Any) -> datetime | None:
    """Like :func:`when`, None when absent."""
    return when(value) if value else None


def status(value: Any) -> ContentStatus:
    """A content status (unknown ones read as current)."""
    return cast(ContentStatus, value) if value in _STATUSES else "current"


def text(value: Any) -> str | None:
    """A string, or None."""
    return None if value is None else str(value)


def web_url(base: str | None, links: Any) -> str | None:
    """``_links.base`` + ``_links.webui`` (either may be missing)."""
    if not isinstance(links, dict) or not links.get("webui"):
        return None
    webui = str(links["webui"])
    if webui.startswith("http"):
        return webui
    root = base or links.get("base")
    return f"{str(root).rstrip('/')}{webui}" if root else webui


# ---- people ----------------------------------------------------------------------------------


def person_v1(data: Any) -> Person:
    """A v1 User (Cloud accountId, DC userKey + username, or anonymous)."""
    if not isinstance(data, dict):
        return Person("", "", kind="unknown")
    kind_raw = data.get("type", "known")
    ident = data.get("accountId") or data.get("userKey") or data.get("username") or ""
    kind: Literal["known", "anonymous", "app", "unknown"]
    if kind_raw == "anonymous":
        kind = "anonymous"
    elif data.get("accountType") == "app":
        kind = "app"
    elif kind_raw in ("known", "user"):
        kind = "known"
    else:
        kind = "unknown"
    return Person(
        id=str(ident),
        display_name=str(data.get("displayName") or data.get("publicName") or ident),
        username=text(data.get("username")),
        email=data.get("email") or None,
        kind=kind,
    )


def person_v2(data: Json) -> Person:
    """A v2 User (``/users-bulk``)."""
    kind: Literal["known", "anonymous", "app", "unknown"] = (
        "app" if data.get("accountType") == "app" else "known"
    )
    return Person(
        id=str(data.get("accountId", "")),
        display_name=str(data.get("displayName") or data.get("publicName") or ""),
        email=data.get("email") or None,
        kind=kind,
    )


def person_id_v1(data: Any) -> str | None:
    """The accountId (Cloud) or userKey (DC) in a v1 User, if any."""
    if not isinstance(data, dict):
        return None
    ident = data.get("accountId") or data.get("userKey") or data.get("username")
    return str(ident) if ident else None


def group_v1(data: Json) -> Group:
    """A v1 Group."""
    return Group(name=str(data.get("name", "")), id=text(data.get("id")))


# ---- spaces ----------------------------------------------------------------------------------


def space_v2(data: Json) -> Space:
    """A v2 Space."""
    desc = data.get("description")
    plain = desc.get("plain", {}).get("value", "") if isinstance(desc, dict) else ""
    return Space(
        id=str(data["id"]),
        key=str(data["key"]),
        name=str(data.get("name", "")),
        type=str(data.get("type", "global")),
        status=str(data.get("status", "current")),
        homepage_id=text(data.get("homepageId")),
        description=str(plain or ""),
    )


def space_v1(data: Json) -> Space:
    """A v1 Space (``expand=description.plain,homepage`` fills the optional fields)."""
    desc = data.get("description")
    plain = desc.get("plain", {}).get("value", "") if isinstance(desc, dict) else ""
    home = data.get("homepage")
    homepage_id = str(home["id"]) if isinstance(home, dict) and home.get("id") else None
    if homepage_id is None:
        link = str(data.get("_expandable", {}).get("homepage", ""))
        homepage_id = link.rsplit("/", 1)[-1] or None if "/content/" in link else None
    return Space(
        id=str(data.get("id", "")),
        key=str(data["key"]),
        name=str(data.get("name", "")),
        type=str(data.get("type", "global")),
        status=str(data.get("status", "current")),
        homepage_id=homepage_id,
        description=str(plain or ""),
    )


def space_permission_v2(data: Json, group_names: dict[str, str]) -> SpacePermission | None:
    """A v2 SpacePermissionAssignment (group ids become names; anonymous roles become anyone)."""
    principal = data.get("principal") or {}
    op = data.get("operation") or {}
    ptype, pid = principal.get("type"), text(principal.get("id"))
    key, target = str(op.get("key", "")), str(op.get("targetType", "space"))
    if ptype == "user":
        return SpacePermission("user", pid, key, target)
    if ptype == "group":
        return SpacePermission("group", group_names.get(pid or "", pid), key, target)
    if ptype == "role" and (pid or "").lower() in ("anonymous", "anonymous_users"):
        return SpacePermission("anyone", None, key, target)
    return None


def space_permissions_v1(items: Any) -> list[SpacePermission]:
    """The legacy ``expand=permissions`` list of a v1 Space."""
    out: list[SpacePermission] = []
    for item in items if isinstance(items, list) else ():
        op = item.get("operation") or {}
        key = str(op.get("operation") or op.get("key") or "")
        target = str(op.get("targetType", "space"))
        if item.get("anonymousAccess"):
            out.append(SpacePermission("anyone", None, key, target))
        subjects = item.get("subjects") or {}
        for user in (subjects.get("user") or {}).get("results", []):
            out.append(SpacePermission("user", person_id_v1(user), key, target))
        for group in (subjects.get("group") or {}).get("results", []):
            out.append(SpacePermission("group", str(group.get("name", "")), key, target))
    return out


# ---- versions, pages -------------------------------------------------------------------------


def version_v2(data: Any) -> VersionInfo:
    """A v2 Version."""
    data = data if isinstance(data, dict) else {}
    return VersionInfo(
        number=int(data.get("number", 0)),
        when=when(data.get("createdAt")),
        author_id=text(data.get("authorId")),
        message=str(data.get("message") or ""),
        minor_edit=bool(data.get("minorEdit", False)),
    )


def version_v1(data: Any) -> VersionInfo:
    """A v1 Version."""
    data = data if isinstance(data, dict) else {}
    return VersionInfo(
        number=int(data.get("number", 0)),
        when=when(data.get("when") or data.get("createdAt")),
        author_id=person_id_v1(data.get("by")),
        message=str(data.get("message") or ""),
        minor_edit=bool(data.get("minorEdit", False)),
    )


def _storage(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    storage = body.get("storage")
    if isinstance(storage, dict) and "value" in storage:
        return str(storage["value"])
    return None


def _labels(block: Any) -> tuple[str, ...] | None:
    if not isinstance(block, dict) or not isinstance(block.get("results"), list):
        return None
    return tuple(str(lab.get("name", "")) for lab in block["results"])


def page_v2(
    data: Json,
    kind: Literal["page", "blogpost"],
    *,
    base: str | None = None,
    space_key: str | None = None,
) -> Page:
    """A v2 page or blog post (``body.storage`` when requested with ``body-format=storage``)."""
    version = version_v2(data.get("version"))
    return Page(
        id=str(data["id"]),
        kind=kind,
        title=str(data.get("title", "")),
        space_id=str(data.get("spaceId", "")),
        status=status(data.get("status")),
        version=version,
        created_at=maybe_when(data.get("createdAt")),
        author_id=text(data.get("authorId")),
        parent_id=text(data.get("parentId")),
        space_key=space_key,
        body=_storage(data.get("body")),
        labels=_labels(data.get("labels")),
        web_url=web_url(base, data.get("_links")),
    )


def page_v1(data: Json, *, base: str | None = None) -> Page:
    """A v1 Content of type page or blogpost."""
    space = obj(data.get("space"))
    history = obj(data.get("history"))
    ancestors = data.get("ancestors")
    parent_id = None
    if isinstance(ancestors, list) and ancestors:
        parent_id = str(ancestors[-1].get("id"))
    metadata = obj(data.get("metadata"))
    kind: Literal["page", "blogpost"] = "blogpost" if data.get("type") == "blogpost" else "page"
    return Page(
        id=str(data["id"]),
        kind=kind,
        title=str(data.get("title", "")),
        space_id=str(space.get("id", "")),
        status=status(data.get("status")),
        version=version_v1(data.get("version")),
        created_at=maybe_when(history.get("createdDate")),
        author_id=person_id_v1(history.get("createdBy")),
        parent_id=parent_id,
        space_key=text(space.get("key")),
        body=_storage(data.get("body")),
        labels=_labels(metadata.get("labels")),
        web_url=web_url(base or _base(data), data.get("_links")),
        ancestors=_ancestors(ancestors),
        read_restriction=_read_restriction(data.get("restrictions")),
    )


def _ancestors(data: Any) -> tuple[ContentRef, ...] | None:
    if not isinstance(data, list):
        return None
    refs: list[ContentRef] = []
    parent: str | None = None
    for item in data:
        found = ref(item, parent_id=parent) if isinstance(item, dict) else None
        if found is not None:
            refs.append(found)
            parent = found.id
    return tuple(refs)


def _read_restriction(data: Any) -> Restriction | None:
    """The ``restrictions.read`` expansion of v1 Content, when users and groups were expanded."""
    read = obj(obj(data).get("read"))
    inner = obj(read.get("restrictions"))
    if not isinstance(inner.get("user"), dict) or not isinstance(inner.get("group"), dict):
        return None
    return restrictions_v1({"read": read})["read"]


def _base(data: Json) -> str | None:
    links = data.get("_links")
    return str(links["base"]) if isinstance(links, dict) and links.get("base") else None


def ref(data: Json, *, parent_id: str | None = None) -> ContentRef | None:
    """A tree entry (children, descendants, ancestors, v1 content); None for other kinds."""
    kind = data.get("type")
    if kind not in _KINDS:
        return None
    return ContentRef(
        id=str(data["id"]),
        kind=kind,
        title=text(data.get("title")),
        parent_id=text(data.get("parentId")) or parent_id,
    )


# ---- comments, labels, attachments, restrictions ---------------------------------------------


def comment_v2(
    data: Json,
    *,
    container_id: str,
    parent_comment_id: str | None = None,
    location: CommentLocation = "footer",
) -> Comment:
    """A v2 footer or inline comment (``location``: which endpoint it came from)."""
    version = version_v2(data.get("version"))
    properties = obj(data.get("properties"))
    return Comment(
        id=str(data["id"]),
        container_id=str(data.get("pageId") or data.get("blogPostId") or container_id),
        body=_storage(data.get("body")),
        version=version,
        parent_comment_id=text(data.get("parentCommentId")) or parent_comment_id,
        author_id=version.author_id,
        location=location,
        selection=text(properties.get("inlineOriginalSelection")) if location == "inline" else None,
        resolution=text(data.get("resolutionStatus")) if location == "inline" else None,
    )


def comment_v1(data: Json, *, container_id: str) -> Comment:
    """A v1 comment (``ancestors`` are the parent comments, nearest last)."""
    ancestors = data.get("ancestors")
    parent = None
    if isinstance(ancestors, list):
        parents = [a for a in ancestors if a.get("type") == "comment"]
        parent = str(parents[-1]["id"]) if parents else None
    container = data.get("container")
    history = obj(data.get("history"))
    version = version_v1(data.get("version"))
    extensions = obj(data.get("extensions"))
    inline = extensions.get("location") in ("inline", "resolved")
    return Comment(
        id=str(data["id"]),
        container_id=str(container["id"])
        if isinstance(container, dict) and container.get("id")
        else container_id,
        body=_storage(data.get("body")),
        version=version,
        parent_comment_id=parent,
        author_id=person_id_v1(history.get("createdBy")) or version.author_id,
        location="inline" if inline else "footer",
        selection=text(obj(extensions.get("inlineProperties")).get("originalSelection"))
        if inline
        else None,
        resolution=_resolution_v1(extensions) if inline else None,
    )


def _resolution_v1(extensions: Json) -> str | None:
    """An inline comment's resolution status from its v1 ``extensions`` (expanded or not)."""
    resolution = extensions.get("resolution")
    if isinstance(resolution, dict):
        return text(resolution.get("status"))
    return "resolved" if extensions.get("location") == "resolved" else None


def label(data: Json) -> Label:
    """A v1 or v2 Label."""
    return Label(
        name=str(data.get("name", "")),
        prefix=str(data.get("prefix") or "global"),
        id=text(data.get("id")),
    )


def attachment_v2(data: Json, *, container_id: str) -> Attachment:
    """A v2 Attachment."""
    return Attachment(
        id=str(data["id"]),
        container_id=str(data.get("pageId") or data.get("blogPostId") or container_id),
        filename=str(data.get("title", "")),
        media_type=str(data.get("mediaType") or "application/octet-stream"),
        size=int(data["fileSize"]) if data.get("fileSize") is not None else None,
        version=version_v2(data.get("version")),
        download_path=str(data.get("downloadLink") or data.get("_links", {}).get("download", "")),
        comment=str(data.get("comment") or ""),
    )


def attachment_v1(data: Json, *, container_id: str) -> Attachment:
    """A v1 attachment Content (``extensions`` carry media type, size and comment)."""
    ext = obj(data.get("extensions"))
    container = data.get("container")
    size = ext.get("fileSize")
    return Attachment(
        id=str(data["id"]),
        container_id=str(container["id"])
        if isinstance(container, dict) and container.get("id")
        else container_id,
        filename=str(data.get("title", "")),
        media_type=str(
            ext.get("mediaType")
            or data.get("metadata", {}).get("mediaType")
            or "application/octet-stream"
        ),
        size=int(size) if size is not None else None,
        version=version_v1(data.get("version")),
        download_path=str(data.get("_links", {}).get("download", "")),
        comment=str(ext.get("comment") or data.get("metadata", {}).get("comment") or ""),
    )


def restrictions_v1(data: Json) -> dict[PermissionOp, Restriction]:
    """``/restriction/byOperation`` → the read and update restrictions (empty = unrestricted)."""
    out: dict[PermissionOp, Restriction] = {}
    for op in ("read", "update"):
        block = obj(data.get(op))
        restr = obj(block.get("restrictions"))
        users = (restr.get("user") or {}).get("results", [])
        groups = (restr.get("group") or {}).get("results", [])
        operation: PermissionOp = "read" if op == "read" else "update"
        out[operation] = Restriction(
            operation,
            tuple(i for i in (person_id_v1(u) for u in users) if i),
            tuple(str(g.get("name", "")) for g in groups if g.get("name")),
        )
    return out
