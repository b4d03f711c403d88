"""The values every layer passes around: Confluence content, people, permissions and ACLs.

All are frozen dataclasses. Confluence identifiers are opaque strings; people are identified by
``accountId`` on Cloud and ``userKey`` on Data Center (``Person.id`` holds whichever applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Deployment = Literal["cloud", "dc"]
ContentKind = Literal["page", "blogpost", "comment", "attachment", "folder"]
ContentStatus = Literal["current", "archived", "trashed", "draft", "deleted", "historical"]
PermissionOp = Literal["read", "update"]
PrincipalKind = Literal["user", "group", "anyone", "role"]
CommentLocation = Literal["footer", "inline"]
PrincipalSource = Literal["user", "group", "anyone"]  # who Confluence itself can name


@dataclass(frozen=True, slots=True)
class Person:
    """A Confluence user: ``id`` is the accountId (Cloud) or userKey (Data Center)."""

    id: str
    display_name: str
    username: str | None = None  # Data Center only
    email: str | None = None
    kind: Literal["known", "anonymous", "app", "unknown"] = "known"


@dataclass(frozen=True, slots=True)
class Group:
    """A Confluence group (``id`` is absent on Data Center)."""

    name: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Space:
    """A Confluence space."""

    id: str
    key: str
    name: str
    type: str = "global"
    status: str = "current"
    homepage_id: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version of a piece of content: who made it, when and why."""

    number: int
    when: datetime
    author_id: str | None = None
    message: str = ""
    minor_edit: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """A page or blog post; ``body`` is storage format when it was requested, else None."""

    id: str
    kind: Literal["page", "blogpost"]
    title: str
    space_id: str
    status: ContentStatus
    version: VersionInfo
    created_at: datetime | None = None
    author_id: str | None = None
    parent_id: str | None = None
    space_key: str | None = None
    body: str | None = None
    labels: tuple[str, ...] | None = None
    web_url: str | None = None
    ancestors: tuple[ContentRef, ...] | None = None  # root first, when the source said
    read_restriction: Restriction | None = None  # direct read restriction, when expanded


@dataclass(frozen=True, slots=True)
class ContentRef:
    """A lightweight reference to content in a tree (ancestors, children, folders)."""

    id: str
    kind: ContentKind
    title: str | None = None
    parent_id: str | None = None  # the parent page or folder, when the source said


@dataclass(frozen=True, slots=True)
class Comment:
    """A footer or inline comment on a page or blog post (an inline one is anchored to the
    ``selection`` it highlights and is open, reopened, resolved or dangling)."""

    id: str
    container_id: str
    body: str | None
    version: VersionInfo
    parent_comment_id: str | None = None
    author_id: str | None = None
    location: CommentLocation = "footer"
    selection: str | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A label on content."""

    name: str
    prefix: str = "global"
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a page or blog post."""

    id: str
    container_id: str
    filename: str
    media_type: str
    size: int | None
    version: VersionInfo
    download_path: str  # site-relative, e.g. /download/attachments/123/file.pdf?version=2
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Restriction:
    """Who a content restriction admits for one operation (empty = unrestricted)."""

    operation: PermissionOp
    user_ids: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nobody is named, i.e. the operation is not restricted."""
        return not self.user_ids and not self.group_names


@dataclass(frozen=True, slots=True)
class SpacePermission:
    """A space-level grant of one operation to a user, a group or anonymous users."""

    principal: PrincipalSource
    principal_id: str | None
    operation: str  # e.g. "read" (VIEW), "create", "administer"
    target: str = "space"


@dataclass(frozen=True, slots=True)
class Principal:
    """Someone an ACL clause can name: ``user:<id>``, ``group:<name>``, ``role:<role>`` (a RADEX
    role, e.g. ``role:admin``) or ``anyone``.

    Confluence identities are scoped by the source they come from (``user:<source id>:<accountId>``,
    ``group:<source id>:<name>``, see :meth:`of_source`), so a group of one site never opens
    another site's pages; RADEX's own users and groups use the scope ``radex``.
    """

    kind: PrincipalKind
    name: str = ""

    def __str__(self) -> str:
        return "anyone" if self.kind == "anyone" else f"{self.kind}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> Principal:
        """The principal written as ``user:<id>``, ``group:<name>``, ``role:<r>`` or ``anyone``."""
        if text == "anyone":
            return cls("anyone")
        kind, sep, name = text.partition(":")
        if not sep or not name or kind not in ("user", "group", "role"):
            raise ValueError(
                f"'{text}' is not a principal (user:<id>, group:<name>, role:<role> or anyone)"
            )
        return cls("user" if kind == "user" else "group" if kind == "group" else "role", name)

    @classmethod
    def of_source(cls, kind: Literal["user", "group"], source_id: str, name: str) -> Principal:
        """A Confluence user or group of one source (``user:<source id>:<accountId>``)."""
        return cls(kind, f"{source_id}:{name}")

    def scoped(self, source_id: str) -> Principal:
        """This Confluence principal scoped to a source (``anyone`` and roles stay as they are)."""
        if self.kind in ("user", "group"):
            return Principal(self.kind, f"{source_id}:{self.name}")
        return self


ADMINS = Principal("role", "admin")
"""RADEX administrators: the only readers of content whose permissions could not be read."""


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is reading: the principals Acls are checked against, the RADEX folders their grants
    open (``None`` = every folder), and their Confluence identity per source (for live checks)."""

    name: str
    principals: frozenset[Principal]
    folders: tuple[str, ...] | None = None
    identities: tuple[tuple[str, str], ...] = ()  # (source id, accountId / userKey)
    admin: bool = False

    def identity(self, source_id: str) -> str | None:
        """The reader's Confluence identity on a source, when linked."""
        return next((ident for sid, ident in self.identities if sid == source_id), None)

    def opens(self, folder_path: str | None) -> bool:
        """Whether the reader's folder grants open a folder (paths include their subfolders)."""
        if self.folders is None:
            return True
        if folder_path is None:
            return False
        return any(folder_within(folder_path, granted) for granted in self.folders)


def folder_within(path: str, top: str) -> bool:
    """Whether folder ``path`` is ``top`` or below it (``/`` holds everything)."""
    top = top.rstrip("/")
    return top == "" or path == top or path.startswith(top + "/")


@dataclass(frozen=True, slots=True)
class Acl:
    """Who may read something, in conjunctive normal form: every clause must admit the reader.

    A clause is a set of principals, any one of which satisfies it. An Acl with no clauses admits
    no one (it fails closed); ``Acl.public()`` is the one that admits everyone.
    """

    clauses: tuple[frozenset[Principal], ...] = field(default_factory=tuple)

    @classmethod
    def public(cls) -> Acl:
        """An ACL that admits everyone."""
        return cls((frozenset({Principal("anyone")}),))

    @classmethod
    def of(cls, clauses: Iterable[Iterable[Principal]]) -> Acl:
        """An ACL from clauses; an empty clause (admits no one) is kept, failing closed."""
        return cls(tuple(frozenset(c) for c in clauses))

    def admits(self, principals: Iterable[Principal]) -> bool:
        """True when every clause names ``anyone`` or one of the reader's principals."""
        held = set(principals) | {Principal("anyone")}
        return bool(self.clauses) and all(clause & held for clause in self.clauses)

    def narrowed(self, other: Acl) -> Acl:
        """The ACL admitting only readers both admit (clauses concatenated; empty stays closed)."""
        if not self.clauses or not other.clauses:
            return Acl((frozenset(),))
        return Acl(self.clauses + other.clauses)

    def to_data(self) -> list[list[str]]:
        """The clauses as sorted lists of principal strings (for JSON and storage)."""
        return [sorted(str(p) for p in clause) for clause in self.clauses]

    @classmethod
    def from_data(cls, data: Iterable[Iterable[str]]) -> Acl:
        """The Acl written by :meth:`to_data`; a malformed principal raises ValueError."""
        return cls.of([Principal.parse(p) for p in clause] for clause in data)


DocumentType = Literal["page", "blogpost", "comment", "attachment", "upload"]


@dataclass(frozen=True, slots=True)
class Folder:
    """A RADEX folder: a node of the tree documents are filed in (``path`` like ``/ENG/Ops``)."""

    id: str
    name: str
    path: str
    parent_id: str | None = None
    owner: str | None = None
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A document RADEX keeps: one Confluence page, blog post or uploaded file, keyed by
    (``source_id``, ``external_id``)."""

    id: str
    source_id: str
    external_id: str
    type: DocumentType
    title: str
    url: str
    version: int
    content_hash: str
    acl: Acl
    space_key: str | None = None
    ancestors: tuple[ContentRef, ...] = ()  # root first
    labels: tuple[str, ...] = ()
    author_id: str | None = None
    last_editor_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status: str = "current"
    folder_id: str | None = None
    markdown_key: str | None = None  # blob-store key of the Markdown body
    storage_key: str | None = None  # blob-store key of the raw storage-format body


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a document's Markdown sized for the embedder, with its breadcrumb."""

    id: str  # "<document_id>:<ordinal>"
    document_id: str
    ordinal: int
    text: str  # the Markdown of the piece, without the breadcrumb
    breadcrumb: str  # "Space › Ancestor › Page › Heading"
    token_count: int
    heading: str | None = None
    anchor: str | None = None  # the heading's anchor on the page, for deep links

    @property
    def embed_text(self) -> str:
        """What is embedded and indexed: the breadcrumb, a blank line, the text."""
        return f"{self.breadcrumb}\n\n{self.text}" if self.breadcrumb else self.text


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Narrowing a search: each given field must match (folder paths include their subfolders)."""

    folder_paths: tuple[str, ...] = ()
    space_keys: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    author_ids: tuple[str, ...] = ()
    updated_after: datetime | None = None
    granted_folders: tuple[str, ...] | None = None  # the reader's folder grants (None = all)


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: a chunk the reader may see, with where it comes from."""

    chunk_id: str
    document_id: str
    external_id: str
    title: str
    url: str  # the page URL, with the heading anchor when there is one
    score: float
    snippet: str
    text: str
    heading: str | None = None
    space_key: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """A source an answer cites as ``[n]``."""

    n: int
    document_id: str
    external_id: str
    title: str
    url: str
    updated_at: datetime | None = None
    heading: str | None = None  # the section cited: a heading, or "Page 3" of a PDF


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a question: text with ``[n]`` markers and the citations they refer to."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    found: bool = True  # False when nothing the reader may see matched
    notes: tuple[str, ...] = ()  # e.g. that Confluence could not confirm some permissions


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one step of a background job did: the checkpoint to resume from, whether the job
    is complete, its progress (None: unchanged) and what to show of its result."""

    checkpoint: Mapping[str, Any]
    finished: bool
    total: int | None = None
    done: int | None = None
    failed: int | None = None
    result: Mapping[str, Any] | None = None
