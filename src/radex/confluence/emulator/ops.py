"""Write operations on the emulated site, shared by the v1 and v2 surfaces.

Each operation checks the caller's rights, mutates the Site, and emits a change event
(``page_created``, ``page_updated``, ``page_moved``, ``page_trashed``, ``page_restored``,
``page_removed``, ``blog_*``, ``comment_*``, ``attachment_*``, ``label_added``,
``label_removed``, ``content_permissions_updated``) to the site's listeners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from radex.confluence.emulator.model import (
    LABEL_RE,
    BlobSpec,
    Content,
    ContentStatus,
    ContentType,
    Grants,
    Label,
    RestrictionOp,
    Site,
    User,
    Version,
)

OpErrorKind = Literal["conflict", "bad_request", "not_found", "forbidden", "too_large"]
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_LABELS = 500


class OpError(Exception):
    """A write the site refuses; routes map ``kind`` to the API's status and wording."""

    def __init__(self, kind: OpErrorKind, message: str, *, current_version: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.current_version = current_version


@dataclass(frozen=True)
class _Unset:
    pass


UNSET = _Unset()
_PREFIX = {"page": "page", "blogpost": "blog", "comment": "comment", "attachment": "attachment"}


def _event(content: Content, verb: str) -> str:
    return f"{_PREFIX.get(content.type, content.type)}_{verb}"


def _require_user(user: User | None) -> User:
    if user is None:
        raise OpError("forbidden", "Anonymous users cannot modify content")
    return user


def _check_body(body: str) -> None:
    if len(body.encode()) > MAX_BODY_BYTES:
        raise OpError("too_large", f"Content body exceeds the limit of {MAX_BODY_BYTES} bytes")


def _title_taken(
    site: Site, space_key: str, title: str, type_: ContentType, skip: str = ""
) -> bool:
    if type_ != "page":
        return False
    return any(
        c.id != skip
        and c.type == "page"
        and c.space_key == space_key
        and c.title == title
        and c.status in ("current", "archived", "draft")
        for c in site.content.values()
    )


def create_content(
    site: Site,
    user: User | None,
    *,
    type_: ContentType,
    space_key: str,
    title: str,
    body: str,
    parent_id: str | None = None,
    status: ContentStatus = "current",
    container_id: str | None = None,
) -> Content:
    """Create a page, blog post, folder or comment (``container_id`` = the commented page)."""
    who = _require_user(user)
    space = site.spaces.get(space_key)
    if space is None or not site.can_view_space(who, space):
        raise OpError("not_found", f"No space with key : {space_key}")
    if not (who.admin or space.permissions["edit"].admits(who)):
        raise OpError(
            "forbidden", f"User does not have permission to create content in {space_key}"
        )
    if type_ != "comment" and not title.strip():
        raise OpError("bad_request", "A title is required")
    if len(title) > 255:
        raise OpError("bad_request", "Title cannot be longer than 255 characters")
    _check_body(body)
    if _title_taken(site, space_key, title, type_):
        raise OpError(
            "bad_request",
            "A page with this title already exists: A page already exists with the same "
            "TITLE in this space",
        )
    parent: Content | None = None
    ref = container_id if type_ == "comment" else parent_id
    if ref is not None:
        parent = site.content.get(ref)
        if parent is None or not site.can_read(who, parent) or parent.status != "current":
            raise OpError("not_found", f"Parent content {ref} was not found")
        if parent.space_key != space_key:
            raise OpError("bad_request", "The parent must be in the same space")
    if type_ == "comment" and parent is None:
        raise OpError("bad_request", "A comment needs a container page or blog post")
    parent_comment: str | None = None
    if type_ == "comment" and parent is not None and parent.type == "comment":
        parent_comment, parent = parent.id, site.content[parent.parent_id or ""]
    now = site.clock()
    content = site.add_content(
        Content(
            id=site.new_id(),
            type=type_,
            space_key=space_key,
            versions=[
                Version(
                    1, title or f"Re: {parent.title if parent else ''}", body, who.username, now
                )
            ],
            status=status,
            parent_id=parent.id if parent else None,
            parent_comment_id=parent_comment,
            created_at=now,
            author=who.username,
        )
    )
    site.changed(_event(content, "created"), content, who)
    return content


def update_content(
    site: Site,
    user: User | None,
    content: Content,
    *,
    version_number: int,
    title: str | None = None,
    body: str | None = None,
    message: str = "",
    minor_edit: bool = False,
    parent_id: str | _Unset | None = UNSET,
    status: ContentStatus | None = None,
    space_key: str | None = None,
) -> Content:
    """New version (current + 1 or a conflict), move, restore from trash, or change space."""
    who = _require_user(user)
    if content.status == "trashed" and status == "current":
        return restore(site, who, content)
    if not site.can_update(who, content):
        raise OpError("forbidden", "You do not have permission to edit this content")
    if version_number != content.version + 1:
        raise OpError(
            "conflict",
            f"Version must be incremented on update. Current version is: {content.version}",
            current_version=content.version,
        )
    new_title = content.title if title is None else title
    if not new_title.strip():
        raise OpError("bad_request", "A title is required")
    target_space = space_key or content.space_key
    if target_space not in site.spaces:
        raise OpError("not_found", f"No space with key : {target_space}")
    if (new_title != content.title or target_space != content.space_key) and _title_taken(
        site, target_space, new_title, content.type, skip=content.id
    ):
        raise OpError("bad_request", "A page with this title already exists in this space")
    new_body = content.body if body is None else body
    _check_body(new_body)
    moved = _move(site, who, content, parent_id, target_space)
    content.versions.append(
        Version(
            content.version + 1,
            new_title,
            new_body,
            who.username,
            site.clock(),
            message,
            minor_edit,
        )
    )
    if (
        status is not None
        and status != content.status
        and status in ("current", "archived", "draft")
    ):
        content.status = status
    site.changed(_event(content, "updated"), content, who)
    if moved:
        site.changed(_event(content, "moved"), content, who)
    return content


def _move(
    site: Site, who: User, content: Content, parent_id: str | _Unset | None, space_key: str
) -> bool:
    if isinstance(parent_id, _Unset) and space_key == content.space_key:
        return False
    new_parent = content.parent_id if isinstance(parent_id, _Unset) else parent_id
    if space_key != content.space_key and isinstance(parent_id, _Unset):
        new_parent = None
    if new_parent is not None:
        target = site.content.get(new_parent)
        if (
            target is None
            or not site.can_read(who, target)
            or target.type not in ("page", "folder")
        ):
            raise OpError("not_found", f"Parent page {new_parent} was not found")
        if target.space_key != space_key:
            raise OpError("bad_request", "The new parent must be in the target space")
        if target.id == content.id or content.id in {a.id for a in site.ancestors(target)}:
            raise OpError("bad_request", "A page cannot be moved below itself")
    if new_parent == content.parent_id and space_key == content.space_key:
        return False
    if space_key != content.space_key:
        for node in [content, *site.descendants(content)]:
            node.space_key = space_key
            for kid in site.children(node.id):
                if kid.type in ("comment", "attachment"):
                    kid.space_key = space_key
    site.reparent(content, new_parent)
    return True


def trash(site: Site, user: User | None, content: Content) -> None:
    """Pages and blog posts go to the trash; comments and attachments are deleted outright."""
    who = _require_user(user)
    if not site.can_update(who, content):
        raise OpError("forbidden", "You do not have permission to delete this content")
    if content.type in ("comment", "attachment"):
        site.changed(_event(content, "removed"), content, who)
        site.remove(content)
        return
    content.status_before_trash = content.status
    content.status = "trashed"
    site.changed(_event(content, "trashed"), content, who)


def purge(site: Site, user: User | None, content: Content) -> None:
    """Remove trashed content for good (space admins only)."""
    who = _require_user(user)
    if content.status != "trashed":
        raise OpError("bad_request", "Only trashed content can be purged")
    if not site.can_admin_space(who, site.spaces[content.space_key]):
        raise OpError("forbidden", "Only space administrators can purge content")
    site.changed(_event(content, "removed"), content, who)
    site.remove(content)


def restore(site: Site, user: User | None, content: Content) -> Content:
    """Bring trashed content back with its body unchanged."""
    who = _require_user(user)
    if content.status != "trashed":
        raise OpError("bad_request", "Only trashed content can be restored")
    space = site.spaces[content.space_key]
    if not (who.admin or space.permissions["edit"].admits(who)):
        raise OpError("forbidden", "You do not have permission to restore this content")
    if _title_taken(site, content.space_key, content.title, content.type, skip=content.id):
        raise OpError("bad_request", "A page with this title already exists in this space")
    content.status = (
        content.status_before_trash if content.status_before_trash != "trashed" else "current"
    )
    site.changed(_event(content, "restored"), content, who)
    return content


def discard_draft(site: Site, user: User | None, content: Content) -> None:
    """Delete an unpublished draft outright (drafts never go to the trash)."""
    who = _require_user(user)
    if content.status != "draft":
        raise OpError("bad_request", "Only drafts can be discarded")
    if not site.can_update(who, content):
        raise OpError("forbidden", "You do not have permission to delete this content")
    site.changed(_event(content, "removed"), content, who)
    site.remove(content)


def add_labels(
    site: Site, user: User | None, content: Content, labels: list[tuple[str, str]]
) -> list[Label]:
    """Add labels (lower-cased; existing ones kept); returns the content's labels."""
    who = _require_user(user)
    if not site.can_update(who, content):
        raise OpError("forbidden", "You do not have permission to label this content")
    for prefix, name in labels:
        if prefix not in ("global", "my", "team", "system"):
            raise OpError("bad_request", f"Invalid label prefix: {prefix}")
        if not LABEL_RE.fullmatch(name):
            raise OpError("bad_request", f"Label '{name}' contains invalid characters or is empty")
    existing = {lab.name for lab in content.labels}
    fresh = [name.lower() for _, name in labels if name.lower() not in existing]
    if len(existing) + len(set(fresh)) > MAX_LABELS:
        raise OpError("bad_request", f"Content cannot have more than {MAX_LABELS} labels")
    for (prefix, _), name in zip(labels, [n.lower() for _, n in labels], strict=True):
        if name not in existing:
            content.labels.append(Label(name=name, prefix=prefix))  # type: ignore[arg-type]
            existing.add(name)
            site.changed("label_added", content, who)
    return list(content.labels)


def remove_label(site: Site, user: User | None, content: Content, name: str) -> None:
    """Remove a label by name; 404 when the content does not carry it."""
    who = _require_user(user)
    if not site.can_update(who, content):
        raise OpError("forbidden", "You do not have permission to label this content")
    match = next((lab for lab in content.labels if lab.name == name.lower()), None)
    if match is None:
        raise OpError("not_found", f"Label '{name}' is not on content {content.id}")
    content.labels.remove(match)
    site.changed("label_removed", content, who)


def put_attachment(
    site: Site,
    user: User | None,
    container: Content,
    *,
    filename: str,
    data: bytes,
    media_type: str,
    comment: str = "",
    minor_edit: bool = False,
    must_be_new: bool = False,
) -> tuple[Content, bool]:
    """Attach a file, or add a version when the filename exists; returns (attachment, created)."""
    who = _require_user(user)
    if not site.can_update(who, container):
        raise OpError("forbidden", "You do not have permission to attach files to this content")
    if not filename or "/" in filename or filename in (".", ".."):
        raise OpError("bad_request", f"Invalid attachment file name: {filename!r}")
    existing = next(
        (a for a in site.children(container.id, "attachment") if a.title == filename), None
    )
    blob = BlobSpec(kind="bin", title=filename, data=data)
    now = site.clock()
    if existing is not None:
        if must_be_new:
            raise OpError(
                "bad_request",
                f"Cannot add a new attachment with same file name as an existing attachment: "
                f"{filename}",
            )
        existing.versions.append(
            Version(
                existing.version + 1, filename, "", who.username, now, comment, minor_edit, blob
            )
        )
        existing.media_type = media_type
        site.changed("attachment_updated", existing, who)
        return existing, False
    attachment = site.add_content(
        Content(
            id="att" + site.new_id(),
            type="attachment",
            space_key=container.space_key,
            versions=[Version(1, filename, "", who.username, now, comment, minor_edit, blob)],
            parent_id=container.id,
            created_at=now,
            author=who.username,
            media_type=media_type,
        )
    )
    site.changed("attachment_created", attachment, who)
    return attachment, True


def set_restrictions(
    site: Site,
    user: User | None,
    content: Content,
    op: RestrictionOp,
    users: set[str],
    groups: set[str],
    *,
    add: bool = False,
) -> None:
    """Replace (or add to) the users and groups a read/update restriction names."""
    who = _require_user(user)
    if not site.can_update(who, content):
        raise OpError("forbidden", "You do not have permission to change restrictions")
    for name in users:
        if name not in site.users:
            raise OpError("bad_request", f"Unknown user: {name}")
    for name in groups:
        if name not in site.groups:
            raise OpError("bad_request", f"Unknown group: {name}")
    current = content.restrictions[op]
    if add:
        content.restrictions[op] = Grants(current.users | users, current.groups | groups)
    else:
        content.restrictions[op] = Grants(set(users), set(groups))
    site.changed("content_permissions_updated", content, who)
