"""Records the store returns that are not kernel types: sources, import runs and their items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from radex.types import Deployment

ImportKind = Literal["space", "page", "tree", "cql", "batch"]
ImportStatus = Literal["running", "done", "failed", "cancelled"]
ItemOutcome = Literal["imported", "updated", "unchanged", "failed", "skipped", "deleted"]
ImportPurpose = Literal["import", "sync", "full"]
JobKind = Literal["import", "sync", "permissions"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]

IMPORT_KINDS: tuple[ImportKind, ...] = ("space", "page", "tree", "cql", "batch")
IMPORT_STATUSES: tuple[ImportStatus, ...] = ("running", "done", "failed", "cancelled")
ITEM_OUTCOMES: tuple[ItemOutcome, ...] = (
    "imported",
    "updated",
    "unchanged",
    "failed",
    "skipped",
    "deleted",
)
JOB_KINDS: tuple[JobKind, ...] = ("import", "sync", "permissions")
JOB_STATES: tuple[JobState, ...] = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL_STATES: frozenset[JobState] = frozenset({"succeeded", "failed", "cancelled"})
COUNT_KEYS: tuple[str, ...] = ("seen", "imported", "updated", "unchanged", "failed", "chunks")


@dataclass(frozen=True)
class SourceRecord:
    """A connected Confluence site; the credential stays encrypted (decrypt with the vault)."""

    id: str
    name: str
    kind: str
    deployment: Deployment
    base_url: str
    credential_kind: str
    credential_ciphertext: bytes = field(repr=False)
    credential_key_id: str
    principals: tuple[str, ...]
    account_id: str | None
    display_name: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ImportRun:
    """One import run and its tallies (``counts``: seen, imported, unchanged, failed, chunks)."""

    id: str
    source_id: str | None
    kind: ImportKind
    target: str
    folder_id: str | None
    status: ImportStatus
    started_at: datetime
    finished_at: datetime | None
    counts: Mapping[str, int]
    error: str | None = None
    job_id: str | None = None
    purpose: ImportPurpose = "import"


@dataclass(frozen=True)
class ImportItem:
    """What happened to one piece of content in an import run."""

    id: int
    import_id: str
    external_id: str
    title: str | None
    outcome: ItemOutcome
    reason: str | None
    at: datetime


Role = Literal["admin", "editor", "viewer"]
GrantLevel = Literal["viewer", "editor", "owner"]  # weakest first
LinkHow = Literal["explicit", "email"]

ROLES: tuple[Role, ...] = ("admin", "editor", "viewer")
GRANT_LEVELS: tuple[GrantLevel, ...] = ("viewer", "editor", "owner")
LINK_HOWS: tuple[LinkHow, ...] = ("explicit", "email")


@dataclass(frozen=True)
class UserRecord:
    """A RADEX user; the password hash never leaves the store in a record."""

    id: str
    name: str
    email: str | None
    email_verified: bool
    display_name: str
    role: Role
    active: bool
    has_password: bool
    created_at: datetime


@dataclass(frozen=True)
class GroupRecord:
    """A RADEX group and the names of its members, sorted."""

    id: str
    name: str
    members: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class FolderGrant:
    """A folder (and everything below it) granted to ``user:<name>``, ``group:<name>`` or
    ``anyone`` at a level."""

    folder_id: str
    folder_path: str
    subject: str
    level: GrantLevel
    created_at: datetime


@dataclass(frozen=True)
class IdentityLink:
    """A RADEX user's Confluence identity on a source (``confluence_id``: accountId on Cloud,
    userKey on Data Center)."""

    user_name: str
    source_id: str
    confluence_id: str
    username: str | None
    how: LinkHow
    linked_at: datetime


@dataclass(frozen=True)
class GroupSyncRecord:
    """When a source's group memberships were last read in full, and how many were found."""

    source_id: str
    synced_at: datetime
    groups: int
    memberships: int


@dataclass(frozen=True)
class UserProfile:
    """Everything a user's permissions derive from, read in one transaction: the user, their
    RADEX groups, identity links, the synced Confluence groups of each linked identity (by
    source id) and the folder grants to them, their groups or ``anyone``."""

    user: UserRecord
    groups: tuple[str, ...]
    links: tuple[IdentityLink, ...]
    source_groups: Mapping[str, tuple[str, ...]]
    grants: tuple[FolderGrant, ...]


@dataclass(frozen=True)
class JobRecord:
    """A background job: what it does, who asked, where it stands."""

    id: str
    kind: JobKind
    source_id: str | None
    params: Mapping[str, Any]
    owner: str | None
    state: JobState
    total: int
    done: int
    failed: int
    checkpoint: Mapping[str, Any]
    result: Mapping[str, Any]
    error: str | None
    attempts: int
    ticket: str | None
    lease_owner: str | None
    lease_until: datetime | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @property
    def final(self) -> bool:
        """True once the job has succeeded, failed or been cancelled."""
        return self.state in FINAL_STATES

    def to_data(self) -> dict[str, Any]:
        """The job as JSON-ready data (what the API and ``--json`` show)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.params.get("source"),
            "state": self.state,
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "attempts": self.attempts,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "result": dict(self.result),
        }


@dataclass(frozen=True)
class SyncState:
    """Where one scope of a source's sync stands."""

    source_id: str
    scope: str
    cursor_at: datetime | None
    full_at: datetime | None
