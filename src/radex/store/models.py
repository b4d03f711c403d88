"""The tables of the system of record, as SQLAlchemy 2 typed declarative models.

Only portable column types are used (String, Text, Integer, Boolean, DateTime(timezone=True),
JSON, LargeBinary) so the same models and migrations serve SQLite and PostgreSQL. Foreign keys
cascade in the database (``ON DELETE CASCADE``), so bulk deletes need no ORM relationships.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops tzinfo; this restores it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC; a naive value is taken to be UTC already."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes whatever the backend gave back."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """The declarative base; its metadata names every constraint (needed for migrations)."""

    metadata = MetaData(naming_convention=NAMING)


class SourceRow(Base):
    """A connected Confluence site and the (encrypted) credential used to read it."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    deployment: Mapped[str] = mapped_column(String(16))
    base_url: Mapped[str] = mapped_column(Text)
    credential_kind: Mapped[str] = mapped_column(String(32))
    credential_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    credential_key_id: Mapped[str] = mapped_column(String(64))
    principals: Mapped[list[str]] = mapped_column(JSON)
    account_id: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FolderRow(Base):
    """A RADEX folder; ``path`` is unique (``/ENG/Ops``)."""

    __tablename__ = "folders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("folders.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    path: Mapped[str] = mapped_column(String(2000), unique=True)
    owner: Mapped[str | None] = mapped_column(String(255))
    source_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DocumentRow(Base):
    """A document keyed by (source_id, external_id); every field of ``radex.types.Document``."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("source_id", "external_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(128))
    acl: Mapped[list[list[str]]] = mapped_column(JSON)
    space_key: Mapped[str | None] = mapped_column(String(255), index=True)
    ancestors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    labels: Mapped[list[str]] = mapped_column(JSON)
    author_id: Mapped[str | None] = mapped_column(String(255))
    last_editor_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(32))
    folder_id: Mapped[str | None] = mapped_column(
        ForeignKey("folders.id", ondelete="SET NULL"), index=True
    )
    markdown_key: Mapped[str | None] = mapped_column(String(255))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    structure: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    chunk_model_id: Mapped[str | None] = mapped_column(String(255))
    container_id: Mapped[str | None] = mapped_column(String(255), index=True)  # extras' page


class DocumentVersionRow(Base):
    """One recorded version of a document (a row per version number)."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(128))
    markdown_key: Mapped[str | None] = mapped_column(String(255))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChunkRow(Base):
    """A chunk of a document's Markdown (id ``<document_id>:<ordinal>``)."""

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("document_id", "ordinal"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    breadcrumb: Mapped[str] = mapped_column(Text)
    heading: Mapped[str | None] = mapped_column(Text)
    anchor: Mapped[str | None] = mapped_column(String(500))
    token_count: Mapped[int] = mapped_column(Integer)


class EmbeddingRow(Base):
    """A chunk's vector under one embedding model, as float32 bytes."""

    __tablename__ = "embeddings"

    chunk_id: Mapped[str] = mapped_column(
        ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRow(Base):
    """One import run (a space, a page, a tree, a CQL query or a batch of uploads)."""

    __tablename__ = "imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    folder_id: Mapped[str | None] = mapped_column(ForeignKey("folders.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(32), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="import")  # import, sync, full


class ImportPageRow(Base):
    """An import's work list: each listed page's metadata (no body), in batches, so that a
    run can be resumed batch by batch and never holds the whole listing in memory."""

    __tablename__ = "import_pages"
    __table_args__ = (Index("ix_import_pages_import_id_batch", "import_id", "batch"),)

    import_id: Mapped[str] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    batch: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobRow(Base):
    """A background job (an import, a sync, a permission refresh) and its progress."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), index=True)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    ticket: Mapped[str | None] = mapped_column(String(32))
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancel_requested: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SyncStateRow(Base):
    """Where a source's sync stands, per scope (an import target, or ``permissions``)."""

    __tablename__ = "sync_state"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    cursor_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # last good incremental
    full_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # last good reconciliation


class ImportItemRow(Base):
    """What happened to one piece of content during an import (ids count up, in order)."""

    __tablename__ = "import_items"
    __table_args__ = (Index("ix_import_items_import_id_outcome", "import_id", "outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class UserRow(Base):
    """A RADEX user: a unique name, a role, and (optionally) an argon2id password hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(Boolean)
    display_name: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GroupRow(Base):
    """A RADEX group of users (not a Confluence group: those are per source memberships)."""

    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GroupMemberRow(Base):
    """A user's membership of a RADEX group."""

    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FolderGrantRow(Base):
    """A grant of a folder (and everything below it) to ``user:<name>``, ``group:<name>`` or
    ``anyone``, at level owner, editor or viewer."""

    __tablename__ = "folder_grants"
    __table_args__ = (
        UniqueConstraint("folder_id", "subject"),
        CheckConstraint("level IN ('owner', 'editor', 'viewer')", name="level"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    folder_id: Mapped[str] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255), index=True)
    level: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdentityLinkRow(Base):
    """A RADEX user's Confluence identity on one source (accountId on Cloud, userKey on DC)."""

    __tablename__ = "identity_links"
    __table_args__ = (
        UniqueConstraint("user_id", "source_id"),
        UniqueConstraint("source_id", "confluence_id"),
        CheckConstraint("how IN ('explicit', 'email')", name="how"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    confluence_id: Mapped[str] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(255))
    how: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SourceMembershipRow(Base):
    """A Confluence identity's membership of a Confluence group, as last read from a source."""

    __tablename__ = "source_memberships"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    confluence_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GroupSyncRow(Base):
    """When a source's group memberships were last read in full, and what was found."""

    __tablename__ = "group_syncs"

    source_id: Mapped[str] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime())
    groups: Mapped[int] = mapped_column(Integer)
    memberships: Mapped[int] = mapped_column(Integer)
