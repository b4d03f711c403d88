"""CQL search results (v1 Content of any type) → the matching ``radex.types`` value."""

from __future__ import annotations

from typing import Any

from radex.confluence.client import parse
from radex.types import Attachment, Comment, ContentRef, Page

SearchItem = Page | Comment | Attachment | ContentRef


def _container_id(item: dict[str, Any]) -> str:
    container = item.get("container")
    if isinstance(container, dict) and container.get("id"):
        return str(container["id"])
    ancestors = item.get("ancestors")
    if isinstance(ancestors, list):
        pages = [a for a in ancestors if a.get("type") in ("page", "blogpost")]
        if pages:
            return str(pages[-1]["id"])
    return ""


def search_item(item: Any, base: str | None) -> SearchItem | None:
    """A v1 Content found by CQL as a Page, Comment, Attachment or ContentRef."""
    if not isinstance(item, dict) or "id" not in item:
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, dict):  # a /search SearchResult wrapper
            return None
        item = content
    kind = item.get("type")
    if kind in ("page", "blogpost"):
        return parse.page_v1(item, base=base)
    if kind == "comment":
        return parse.comment_v1(item, container_id=_container_id(item))
    if kind == "attachment":
        return parse.attachment_v1(item, container_id=_container_id(item))
    return parse.ref(item)
