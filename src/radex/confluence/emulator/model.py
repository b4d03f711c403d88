"""The emulated site's state: users, groups, spaces, content and their permissions, in memory."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

Flavor = Literal["cloud", "dc"]
ContentType = Literal["page", "blogpost", "comment", "attachment", "folder"]
ContentStatus = Literal["current", "archived", "trashed", "draft", "deleted"]
SpaceOp = Literal["view", "edit", "admin"]
RestrictionOp = Literal["read", "update"]
CommentLocation = Literal["footer", "inline"]
Resolution = Literal["open", "reopened", "resolved", "dangling"]
RESOLUTIONS: tuple[Resolution, ...] = ("open", "reopened", "resolved", "dangling")

SITE_ADMIN_GROUP = "confluence-administrators"
LABEL_RE = re.compile(r"^[^\s!#&()*,.:;<>?@\[\]^]{1,255}$")


def utcnow() -> datetime:
    """The current time, aware, in UTC, at millisecond resolution."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


@dataclass
class User:
    """A person (or app) with an identity in each flavour."""

    username: str
    display_name: str
    email: str = ""
    account_id: str = ""
    user_key: str = ""
    groups: set[str] = field(default_factory=set)
    admin: bool = False
    active: bool = True
    account_type: Literal["atlassian", "app", "customer"] = "atlassian"
    secret: str = ""  # API token (Cloud) / personal access token and password (DC)
    time_zone: str = "UTC"  # the profile's zone: CQL reads dates without a zone in it

    def __post_init__(self) -> None:
        self.account_id = self.account_id or _hex("account:" + self.username, 24)
        self.user_key = self.user_key or "ff8080817" + _hex("userkey:" + self.username, 23)

    def principal_ids(self) -> frozenset[str]:
        """Every identifier CQL and mentions may use for this user."""
        return frozenset({self.username, self.user_key, self.account_id})


@dataclass
class Group:
    """A named set of users."""

    name: str
    id: str = ""

    def __post_init__(self) -> None:
        h = _hex("group:" + self.name, 32)
        self.id = self.id or f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


@dataclass
class Grants:
    """Who holds a permission: named users, groups and (for space view) anonymous."""

    users: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    anonymous: bool = False

    def is_empty(self) -> bool:
        """True when nobody is named (for restrictions: the operation is unrestricted)."""
        return not self.users and not self.groups

    def admits(self, user: User | None) -> bool:
        """True when the user (None = anonymous) holds this grant. What anonymous users may
        do, every logged-in user may do too (Confluence's rule for the Anonymous grant)."""
        if user is None or self.anonymous:
            return self.anonymous
        return user.username in self.users or bool(user.groups & self.groups)


@dataclass
class Space:
    """A Confluence space."""

    id: str
    key: str
    name: str
    type: Literal["global", "personal", "collaboration", "knowledge_base"] = "global"
    status: Literal["current", "archived"] = "current"
    description: str = ""
    homepage_id: str | None = None
    author: str = ""
    created_at: datetime = field(default_factory=utcnow)
    permissions: dict[SpaceOp, Grants] = field(
        default_factory=lambda: {"view": Grants(), "edit": Grants(), "admin": Grants()}
    )


@dataclass
class BlobSpec:
    """An attachment version's bytes, given directly or rendered lazily from kind + text."""

    kind: str
    title: str = ""
    text: str = ""
    data: bytes | None = None


@dataclass
class Version:
    """One version of a piece of content."""

    number: int
    title: str
    body: str
    author: str
    when: datetime
    message: str = ""
    minor_edit: bool = False
    blob: BlobSpec | None = None  # attachments only


@dataclass
class Label:
    """A label on content."""

    name: str
    prefix: Literal["global", "my", "team", "system"] = "global"
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or str(int(_hex("label:" + self.prefix + self.name, 8), 16) % 10**9)


@dataclass
class Content:
    """A page, blog post, comment, attachment or folder with its history."""

    id: str
    type: ContentType
    space_key: str
    versions: list[Version]
    status: ContentStatus = "current"
    parent_id: str | None = None  # parent page (pages/folders) or container (comments, attachments)
    parent_comment_id: str | None = None  # comment replies
    position: int = 0
    created_at: datetime = field(default_factory=utcnow)
    author: str = ""
    labels: list[Label] = field(default_factory=list)
    restrictions: dict[RestrictionOp, Grants] = field(
        default_factory=lambda: {"read": Grants(), "update": Grants()}
    )
    media_type: str = ""  # attachments
    status_before_trash: ContentStatus = "current"
    location: CommentLocation = "footer"  # comments: below the page, or anchored to its text
    inline_ref: str | None = None  # inline comments: the ac:ref of their marker in the body
    inline_selection: str | None = None  # inline comments: the highlighted text (roots only)
    resolution: Resolution = "open"  # inline comments: the thread's resolution status

    @property
    def current(self) -> Version:
        """The latest version."""
        return self.versions[-1]

    @property
    def title(self) -> str:
        """The current title."""
        return self.current.title

    @property
    def body(self) -> str:
        """The current storage-format body."""
        return self.current.body

    @property
    def version(self) -> int:
        """The current version number."""
        return self.current.number

    @property
    def updated_at(self) -> datetime:
        """When the current version was made."""
        return self.current.when

    def at_version(self, number: int) -> Version | None:
        """The given version, or None."""
        return next((v for v in self.versions if v.number == number), None)


ChangeListener = Callable[[str, "Content", "User | None"], None]
TokenKind = Literal["classic", "scoped", "pat", "oauth"]


@dataclass
class IssuedToken:
    """A credential other than a user's main secret: scoped API token, PAT, OAuth access token."""

    username: str
    kind: TokenKind
    scopes: frozenset[str] | None = None  # None: everything the user may do
    expires_at: datetime | None = None


class Site:
    """One Confluence site: the state every emulated endpoint reads and writes."""

    def __init__(self, *, flavor: Flavor, title: str = "Emulated Confluence", seed: int = 0):
        self.flavor: Flavor = flavor
        self.title = title
        self.seed = seed
        self.cloud_id = (
            f"{_hex(f'cloud:{seed}', 8)}-{_hex(f'c:{seed}', 4)}-4{_hex(f'd:{seed}', 3)}-"
            f"a{_hex(f'e:{seed}', 3)}-{_hex(f'f:{seed}', 12)}"
        )
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {SITE_ADMIN_GROUP: Group(SITE_ADMIN_GROUP)}
        self.spaces: dict[str, Space] = {}
        self.content: dict[str, Content] = {}
        self.anonymous_access = False
        self.clock: Callable[[], datetime] = utcnow
        self.listeners: list[ChangeListener] = []
        self.tokens: dict[str, IssuedToken] = {}
        self._children: dict[str, list[str]] = {}
        self._ids = itertools.count(65537)
        self._space_ids = itertools.count(98305)

    # ---- identities -------------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        """Register a user (and any group it names)."""
        if not user.secret:
            user.secret = "tok-" + _hex(f"secret:{self.seed}:{user.username}", 24)
        self.users[user.username] = user
        for g in user.groups:
            self.groups.setdefault(g, Group(g))
        if user.admin:
            user.groups.add(SITE_ADMIN_GROUP)
        return user

    def issue_token(
        self,
        username: str,
        kind: TokenKind,
        *,
        scopes: frozenset[str] | None = None,
        expires_at: datetime | None = None,
    ) -> str:
        """Mint a new token for a user and return it."""
        token = f"{kind}-" + _hex(f"{self.seed}:{username}:{kind}:{len(self.tokens)}", 32)
        self.tokens[token] = IssuedToken(username, kind, scopes, expires_at)
        return token

    def find_user(self, ident: str) -> User | None:
        """A user by username, userKey or accountId."""
        if ident in self.users:
            return self.users[ident]
        return next((u for u in self.users.values() if ident in (u.account_id, u.user_key)), None)

    def group_members(self, name: str) -> list[User]:
        """Members of a group, by username."""
        return sorted(
            (u for u in self.users.values() if name in u.groups), key=lambda u: u.username
        )

    # ---- spaces -----------------------------------------------------------------------------

    def add_space(self, space: Space) -> Space:
        """Register a space."""
        if not space.id:
            space.id = str(next(self._space_ids))
        self.spaces[space.key] = space
        return space

    def new_space_id(self) -> str:
        """A fresh space id."""
        return str(next(self._space_ids))

    def space_by_id(self, space_id: str) -> Space | None:
        """A space by its numeric id."""
        return next((s for s in self.spaces.values() if s.id == space_id), None)

    def can_view_space(self, user: User | None, space: Space) -> bool:
        """Space VIEW permission (site admins see every space)."""
        if user is not None and user.admin:
            return True
        return space.permissions["view"].admits(user)

    def can_admin_space(self, user: User | None, space: Space) -> bool:
        """Space ADMIN permission."""
        return user is not None and (user.admin or space.permissions["admin"].admits(user))

    # ---- content tree -----------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh content id."""
        return str(next(self._ids))

    def add_content(self, content: Content) -> Content:
        """Insert content (fixture loading and creates). A reply to an inline comment joins
        its thread: inline too, with the thread's marker and resolution (no selection)."""
        thread = self.content.get(content.parent_comment_id or "")
        if content.type == "comment" and thread is not None and thread.location == "inline":
            content.location = "inline"
            content.inline_ref = thread.inline_ref
            content.inline_selection = None
            content.resolution = thread.resolution
        self.content[content.id] = content
        if content.parent_id is not None:
            siblings = self._children.setdefault(content.parent_id, [])
            content.position = len(siblings)
            siblings.append(content.id)
        return content

    def children(self, parent_id: str, type_: ContentType | None = None) -> list[Content]:
        """Direct children (any type, or one type) in position order."""
        kids = (self.content[i] for i in self._children.get(parent_id, ()))
        return [c for c in kids if type_ is None or c.type == type_]

    def reparent(self, content: Content, new_parent_id: str | None) -> None:
        """Move content under another parent (None = space root)."""
        if content.parent_id is not None:
            self._children[content.parent_id].remove(content.id)
        content.parent_id = new_parent_id
        if new_parent_id is not None:
            siblings = self._children.setdefault(new_parent_id, [])
            content.position = len(siblings)
            siblings.append(content.id)

    def remove(self, content: Content) -> None:
        """Purge content and everything attached to it."""
        for child in list(self.children(content.id)):
            if child.type in ("comment", "attachment"):
                self.remove(child)
            else:
                self.reparent(child, content.parent_id)
        if content.parent_id is not None and content.id in self._children.get(
            content.parent_id, []
        ):
            self._children[content.parent_id].remove(content.id)
        self._children.pop(content.id, None)
        del self.content[content.id]

    def ancestors(self, content: Content) -> list[Content]:
        """Page/folder ancestors, root first (for comments and attachments: their container's)."""
        chain: list[Content] = []
        pid = content.parent_id
        seen: set[str] = set()
        while pid is not None and pid in self.content and pid not in seen:
            seen.add(pid)
            parent = self.content[pid]
            chain.append(parent)
            pid = parent.parent_id
        chain.reverse()
        return chain

    def descendants(self, content: Content, type_: ContentType | None = None) -> Iterator[Content]:
        """Depth-first descendants (pages and folders only), each after its parent."""
        stack = list(reversed(self.children(content.id)))
        while stack:
            node = stack.pop()
            if node.type in ("comment", "attachment"):
                continue
            if type_ is None or node.type == type_:
                yield node
            stack.extend(reversed(self.children(node.id)))

    def depth(self, content: Content) -> int:
        """Number of page/folder ancestors."""
        return len([a for a in self.ancestors(content) if a.type in ("page", "folder")])

    def in_space(self, key: str, type_: ContentType) -> Iterator[Content]:
        """Content of one type in a space, in id order."""
        for c in self.content.values():
            if c.space_key == key and c.type == type_:
                yield c

    def space_roots(self, key: str) -> list[Content]:
        """Top-level pages and folders of a space."""
        return [
            c
            for c in self.content.values()
            if c.space_key == key and c.type in ("page", "folder") and c.parent_id is None
        ]

    # ---- permissions ------------------------------------------------------------------------

    def can_read(self, user: User | None, content: Content) -> bool:
        """Space VIEW and the read restrictions of the content and every ancestor."""
        space = self.spaces.get(content.space_key)
        if space is None or not self.can_view_space(user, space):
            return False
        if user is not None and user.admin:
            return True  # site admins hold the admin key: restrictions do not hide content
        chain = [*self.ancestors(content), content]
        return all(
            c.restrictions["read"].is_empty() or c.restrictions["read"].admits(user) for c in chain
        )

    def can_update(self, user: User | None, content: Content) -> bool:
        """Read access, space EDIT, and the content's own update restriction (not inherited)."""
        if user is None or not self.can_read(user, content):
            return False
        space = self.spaces[content.space_key]
        if not (user.admin or space.permissions["edit"].admits(user)):
            return False
        target = (
            self.content.get(content.parent_id or "")
            if content.type
            in (
                "comment",
                "attachment",
            )
            else content
        )
        upd = (target or content).restrictions["update"]
        return user.admin or upd.is_empty() or upd.admits(user)

    # ---- change notification ----------------------------------------------------------------

    def changed(self, event: str, content: Content, user: User | None) -> None:
        """Tell listeners (webhook emitters, tests) that content changed."""
        for listener in self.listeners:
            listener(event, content, user)


def plain_text(storage: str) -> str:
    """Rough visible text of a storage body, for CQL `text ~` and excerpts."""
    no_cdata = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r" \1 ", storage, flags=re.S)
    no_params = re.sub(r"<ac:parameter[^>]*>.*?</ac:parameter>", " ", no_cdata, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", no_params)
    text = (
        text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    return re.sub(r"\s+", " ", text).strip()
