"""Records the store returns that are not kernel types: sources, import runs and their items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from radex.types import Deployment

ImportKind = Literal["space", "page", "tree", "cql", "batch"]
ImportStatus = Literal["running", "done", "failed", "cancelled"]
ItemOutcome = Literal["imported", "updated", "unchanged", "failed", "skipped"]

IMPORT_KINDS: tuple[ImportKind, ...] = ("space", "page", "tree", "cql", "batch")
IMPORT_STATUSES: tuple[ImportStatus, ...] = ("running", "done", "failed", "cancelled")
ITEM_OUTCOMES: tuple[ItemOutcome, ...] = ("imported", "updated", "unchanged", "failed", "skipped")
COUNT_KEYS: tuple[str, ...] = ("seen", "imported", "unchanged", "failed", "chunks")


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
