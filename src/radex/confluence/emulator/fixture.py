"""Load a fixture (YAML, JSON or dict; see docs/emulator-fixtures.md) into a Site."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import yaml

from radex.confluence.emulator.files import kind_for_filename, media_type_for
from radex.confluence.emulator.model import (
    RESOLUTIONS,
    BlobSpec,
    Content,
    ContentStatus,
    ContentType,
    Flavor,
    Grants,
    Group,
    Label,
    Resolution,
    Site,
    Space,
    User,
    Version,
)
from radex.errors import FixtureError

_MENTION = re.compile(r'ri:username="([^"]*)"')
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_INLINE_KEYS = ("inline", "ref", "resolution")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def read_fixture(path: Path) -> dict[str, Any]:
    """Parse a fixture file (.yaml, .yml or .json)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"cannot read fixture {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise FixtureError(f"fixture {path} is not valid {path.suffix[1:]}: {exc}") from exc
    if not isinstance(data, dict):
        raise FixtureError(f"fixture {path} must hold a mapping with users and spaces")
    return data


def build_site(
    fixture: Mapping[str, Any],
    *,
    flavor: Flavor,
    seed: int = 0,
    admin: tuple[str, str] | None = None,
) -> Site:
    """Build a Site from a fixture; ``admin`` = (login, secret) adds or overrides the site admin."""
    site = Site(flavor=flavor, title=str(fixture.get("title", "Emulated Confluence")), seed=seed)
    site.anonymous_access = bool(fixture.get("anonymous_access", False))
    _Loader(site).load(fixture)
    _ensure_admin(site, admin)
    return site


def _ensure_admin(site: Site, admin: tuple[str, str] | None) -> None:
    login, secret = admin if admin else ("admin@example.com", "")
    username = login.split("@", 1)[0] if "@" in login else login
    email = login if "@" in login else f"{login}@example.com"
    user = site.users.get(username)
    if user is None:
        user = site.add_user(
            User(username=username, display_name="Site Admin", email=email, admin=True)
        )
    user.admin = True
    user.groups.add("confluence-administrators")
    user.email = email
    if secret:
        user.secret = secret


def _req(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj or obj[key] in (None, ""):
        raise FixtureError(f"{where}: missing required key '{key}'")
    return obj[key]


def _when(value: Any, where: str, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise FixtureError(f"{where}: '{value}' is not an ISO-8601 date-time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Loader:
    """Walks a fixture once, creating users, spaces and content in document order."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def load(self, fx: Mapping[str, Any]) -> None:
        for i, raw in enumerate(fx.get("users") or []):
            self._user(raw, f"users[{i}]")
        for i, raw in enumerate(fx.get("groups") or []):
            name = _req(raw, "name", f"groups[{i}]") if isinstance(raw, dict) else raw
            self.site.groups.setdefault(str(name), Group(str(name)))
        for i, raw in enumerate(fx.get("spaces") or []):
            self._space(raw, f"spaces[{i}]")

    def _user(self, raw: Mapping[str, Any], where: str) -> None:
        username = str(_req(raw, "username", where))
        if username in self.site.users:
            raise FixtureError(f"{where}: duplicate username '{username}'")
        self.site.add_user(
            User(
                username=username,
                display_name=str(_req(raw, "display_name", where)),
                email=str(raw.get("email", "")),
                account_id=str(raw.get("account_id", "")),
                user_key=str(raw.get("user_key", "")),
                groups={str(g) for g in raw.get("groups") or []},
                admin=bool(raw.get("admin", False)),
                active=bool(raw.get("active", True)),
                secret=str(raw.get("secret", "")),
            )
        )

    def _grants(self, raw: Any, where: str) -> Grants:
        if raw is None:
            return Grants()
        if not isinstance(raw, dict):
            raise FixtureError(f"{where}: expected a mapping with users/groups")
        users = {str(u) for u in raw.get("users") or []}
        groups = {str(g) for g in raw.get("groups") or []}
        for u in users:
            self._username(u, where)
        for g in groups:
            self.site.groups.setdefault(g, Group(g))
        return Grants(users=users, groups=groups, anonymous=bool(raw.get("anonymous", False)))

    def _username(self, name: Any, where: str) -> str:
        if name is None:
            return next(iter(self.site.users), "admin")
        if str(name) not in self.site.users:
            raise FixtureError(f"{where}: unknown user '{name}' (declare it under users)")
        return str(name)

    def _space(self, raw: Mapping[str, Any], where: str) -> None:
        key = str(_req(raw, "key", where))
        if not re.fullmatch(r"~?[A-Za-z0-9]+", key):
            raise FixtureError(f"{where}: space key '{key}' must be letters and digits")
        if key in self.site.spaces:
            raise FixtureError(f"{where}: duplicate space key '{key}'")
        perms = raw.get("permissions") or {}
        space = self.site.add_space(
            Space(
                id=str(raw.get("id", "")),
                key=key,
                name=str(_req(raw, "name", where)),
                type=cast(Any, str(raw.get("type", "global"))),
                status=cast(Any, str(raw.get("status", "current"))),
                description=str(raw.get("description", "")),
                author=self._username(raw.get("author"), where),
                created_at=_when(raw.get("created"), where, _EPOCH),
                permissions={
                    "view": self._grants(perms.get("view"), f"{where}.permissions.view"),
                    "edit": self._grants(perms.get("edit"), f"{where}.permissions.edit"),
                    "admin": self._grants(perms.get("admin"), f"{where}.permissions.admin"),
                },
            )
        )
        titles: set[str] = set()
        roots = [
            self._content(p, "page", space, None, f"{where}.pages[{i}]", titles)
            for i, p in enumerate(raw.get("pages") or [])
        ]
        for i, b in enumerate(raw.get("blogposts") or []):
            self._content(b, "blogpost", space, None, f"{where}.blogposts[{i}]", set())
        home = raw.get("homepage")
        if home:
            match = next((c for c in roots if c.title == home), None)
            if match is None:
                raise FixtureError(f"{where}: homepage '{home}' is not a root page of the space")
            space.homepage_id = match.id
        elif roots:
            space.homepage_id = roots[0].id

    def _content(
        self,
        raw: Mapping[str, Any],
        type_: ContentType,
        space: Space,
        parent: Content | None,
        where: str,
        titles: set[str],
    ) -> Content:
        title = str(_req(raw, "title", where))
        if type_ == "page":
            if title in titles:
                raise FixtureError(f"{where}: duplicate page title '{title}' in space {space.key}")
            titles.add(title)
        cid = str(raw.get("id") or self.site.new_id())
        if cid in self.site.content:
            raise FixtureError(f"{where}: duplicate content id '{cid}'")
        author = self._username(raw.get("author"), f"{where}.author")
        created = _when(raw.get("created"), f"{where}.created", _EPOCH)
        versions = self._versions(raw, title, author, created, where)
        content = self.site.add_content(
            Content(
                id=cid,
                type=type_,
                space_key=space.key,
                versions=versions,
                status=cast(ContentStatus, str(raw.get("status", "current"))),
                parent_id=parent.id if parent else None,
                created_at=created,
                author=author,
                labels=[Label(name=str(n).lower()) for n in raw.get("labels") or []],
            )
        )
        restr = raw.get("restrictions") or {}
        content.restrictions["read"] = self._grants(restr.get("read"), f"{where}.restrictions")
        content.restrictions["update"] = self._grants(restr.get("update"), f"{where}.restrictions")
        for i, att in enumerate(raw.get("attachments") or []):
            self._attachment(att, content, f"{where}.attachments[{i}]")
        for i, com in enumerate(raw.get("comments") or []):
            self._comment(com, content, None, f"{where}.comments[{i}]")
        for i, child in enumerate(raw.get("children") or []):
            self._content(child, "page", space, content, f"{where}.children[{i}]", titles)
        return content

    def _versions(
        self, raw: Mapping[str, Any], title: str, author: str, created: datetime, where: str
    ) -> list[Version]:
        history = raw.get("versions") or []
        versions: list[Version] = []
        for i, v in enumerate(history, start=1):
            versions.append(
                Version(
                    number=i,
                    title=str(v.get("title", title)),
                    body=self._body(v.get("body", "")),
                    author=self._username(v.get("author", author), f"{where}.versions[{i - 1}]"),
                    when=_when(v.get("when"), f"{where}.versions[{i - 1}]", created),
                    message=str(v.get("message", "")),
                )
            )
        last = versions[-1].when if versions else created
        versions.append(
            Version(
                number=len(versions) + 1,
                title=title,
                body=self._body(raw.get("body", "")),
                author=self._username(raw.get("last_editor", author), f"{where}.last_editor"),
                when=_when(raw.get("updated"), f"{where}.updated", last),
                message=str(raw.get("message", "")),
            )
        )
        return versions

    def _body(self, body: Any) -> str:
        text = str(body or "")

        def swap(m: re.Match[str]) -> str:
            user = self.site.users.get(m.group(1))
            if user is None:
                return m.group(0)
            if self.site.flavor == "cloud":
                return f'ri:account-id="{user.account_id}"'
            return f'ri:userkey="{user.user_key}"'

        return _MENTION.sub(swap, text)

    def _attachment(self, raw: Mapping[str, Any], page: Content, where: str) -> None:
        filename = str(_req(raw, "filename", where))
        if "/" in filename or filename in (".", ".."):
            raise FixtureError(f"{where}: attachment filename '{filename}' may not contain '/'")
        kind = str(raw.get("kind") or kind_for_filename(filename))
        data = base64.b64decode(raw["content_b64"]) if raw.get("content_b64") else None
        author = self._username(raw.get("author", page.author), where)
        created = _when(raw.get("created"), where, page.created_at)
        count = int(raw.get("versions", 1))
        text = str(raw.get("text", ""))
        versions = [
            Version(
                number=n,
                title=filename,
                body="",
                author=author,
                when=created,
                message=str(raw.get("comment", "")),
                blob=BlobSpec(
                    kind=kind,
                    title=str(raw.get("title", filename)),
                    text=text if n == count else f"{text}\n\n(version {n})",
                    data=data,
                ),
            )
            for n in range(1, count + 1)
        ]
        self.site.add_content(
            Content(
                id="att" + self.site.new_id(),
                type="attachment",
                space_key=page.space_key,
                versions=versions,
                parent_id=page.id,
                created_at=created,
                author=author,
                media_type=str(raw.get("media_type") or media_type_for(kind)),
            )
        )

    def _comment(
        self, raw: Mapping[str, Any], page: Content, parent: Content | None, where: str
    ) -> None:
        author = self._username(raw.get("author"), where)
        created = _when(raw.get("created"), where, page.created_at)
        cid = self.site.new_id()
        comment = Content(
            id=cid,
            type="comment",
            space_key=page.space_key,
            versions=[
                Version(
                    number=1,
                    title=f"Re: {page.title}",
                    body=self._body(raw.get("body", "")),
                    author=author,
                    when=created,
                )
            ],
            parent_id=page.id,
            parent_comment_id=parent.id if parent else None,
            created_at=created,
            author=author,
        )
        if parent is None and raw.get("inline") is not None:
            comment.location = "inline"
            comment.inline_selection = _selection(raw["inline"], where)
            comment.resolution = _resolution(raw.get("resolution"), where)
            comment.inline_ref = _marker_ref(raw.get("ref"), cid, page, comment.resolution, where)
        else:
            _no_inline_keys(raw, where, reply=parent is not None)
        self.site.add_content(comment)
        for i, reply in enumerate(raw.get("replies") or []):
            self._comment(reply, page, comment, f"{where}.replies[{i}]")


def _no_inline_keys(raw: Mapping[str, Any], where: str, *, reply: bool) -> None:
    """Refuse the inline comment keys where they mean nothing."""
    extra = [k for k in _INLINE_KEYS if raw.get(k) is not None]
    if not extra:
        return
    if reply:
        raise FixtureError(
            f"{where}: a reply may not say {', '.join(extra)}: it takes its thread's location, "
            "marker and resolution"
        )
    verb = "applies" if len(extra) == 1 else "apply"
    raise FixtureError(
        f"{where}: {', '.join(extra)} only {verb} to inline comments (add inline: <selected text>)"
    )


def _selection(value: Any, where: str) -> str:
    """The highlighted text of an inline comment: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise FixtureError(f"{where}.inline: the selected text must be a non-empty string")
    return value


def _resolution(value: Any, where: str) -> Resolution:
    """An inline comment's resolution status (default open)."""
    if value is None:
        return "open"
    for known in RESOLUTIONS:
        if value == known:
            return known
    raise FixtureError(
        f"{where}.resolution: unknown resolution '{value}' (use one of {', '.join(RESOLUTIONS)})"
    )


def _marker_ref(
    value: Any, comment_id: str, page: Content, resolution: Resolution, where: str
) -> str:
    """The marker ref: one derived from the comment id, or the given uuid, which the page's
    body must then carry in an ``ac:inline-comment-marker`` unless the comment is dangling."""
    if value is None:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"radex-emulator:inline-comment:{comment_id}"))
    ref = str(value).strip()
    if not _UUID.fullmatch(ref):
        raise FixtureError(f"{where}.ref: '{value}' is not a uuid (8-4-4-4-12 hex digits)")
    marker = re.compile(rf'<ac:inline-comment-marker\s[^>]*ac:ref="{re.escape(ref)}"')
    if resolution != "dangling" and not marker.search(page.body):
        raise FixtureError(
            f"{where}.ref: the body of '{page.title}' has no <ac:inline-comment-marker ac:ref=\""
            f'{ref}"> (wrap the selected text in one, or say resolution: dangling)'
        )
    return ref
