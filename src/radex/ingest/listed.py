"""A listed page's metadata as JSON (for the import work list) and back again."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from radex.types import ContentKind, ContentRef, Page, PermissionOp, Restriction, VersionInfo


def page_to_data(page: Page) -> dict[str, Any]:
    """The metadata of a listed page (never its body), JSON-ready."""
    version = page.version
    restriction = page.read_restriction
    return {
        "id": page.id,
        "kind": page.kind,
        "title": page.title,
        "space_id": page.space_id,
        "status": page.status,
        "version": [
            version.number,
            version.when.isoformat(),
            version.author_id,
            version.message,
            version.minor_edit,
        ],
        "created_at": page.created_at.isoformat() if page.created_at else None,
        "author_id": page.author_id,
        "parent_id": page.parent_id,
        "space_key": page.space_key,
        "labels": list(page.labels) if page.labels is not None else None,
        "web_url": page.web_url,
        "ancestors": (
            [[a.id, a.kind, a.title, a.parent_id] for a in page.ancestors]
            if page.ancestors is not None
            else None
        ),
        "read": (
            [restriction.operation, list(restriction.user_ids), list(restriction.group_names)]
            if restriction is not None
            else None
        ),
    }


def page_from_data(data: dict[str, Any]) -> Page:
    """The page :func:`page_to_data` wrote."""
    number, when, author, message, minor = data["version"]
    read = data.get("read")
    ancestors = data.get("ancestors")
    labels = data.get("labels")
    created = data.get("created_at")
    return Page(
        id=data["id"],
        kind=data["kind"],
        title=data["title"],
        space_id=data["space_id"],
        status=data["status"],
        version=VersionInfo(int(number), datetime.fromisoformat(when), author, message, minor),
        created_at=datetime.fromisoformat(created) if created else None,
        author_id=data.get("author_id"),
        parent_id=data.get("parent_id"),
        space_key=data.get("space_key"),
        labels=tuple(labels) if labels is not None else None,
        web_url=data.get("web_url"),
        ancestors=(
            tuple(ContentRef(a[0], cast(ContentKind, a[1]), a[2], a[3]) for a in ancestors)
            if ancestors is not None
            else None
        ),
        read_restriction=(
            Restriction(cast(PermissionOp, read[0]), tuple(read[1]), tuple(read[2]))
            if read is not None
            else None
        ),
    )
