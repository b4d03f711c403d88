"""Jobs, resumable import work lists and sync state.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_DOCS = sa.table(
    "documents",
    sa.column("id", sa.String),
    sa.column("type", sa.String),
    sa.column("ancestors", sa.JSON),
    sa.column("container_id", sa.String),
)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("container_id", sa.String(length=255), nullable=True))
        batch.create_index(op.f("ix_documents_container_id"), ["container_id"])
    bind = op.get_bind()
    extras = sa.select(_DOCS.c.id, _DOCS.c.ancestors).where(
        _DOCS.c.type.in_(("attachment", "comment"))
    )
    for doc_id, ancestors in bind.execute(extras).all():
        if ancestors:
            bind.execute(
                _DOCS.update()
                .where(_DOCS.c.id == doc_id)
                .values(container_id=str(ancestors[-1]["id"]))
            )
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("job_id", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="import")
        )
        batch.create_index(op.f("ix_imports_job_id"), ["job_id"])
    op.create_table(
        "import_pages",
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("page_id", sa.String(length=255), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_pages_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "page_id", name=op.f("pk_import_pages")),
    )
    op.create_index("ix_import_pages_import_id_batch", "import_pages", ["import_id", "batch"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=True),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_source_id"), "jobs", ["source_id"])
    op.create_index(op.f("ix_jobs_state"), "jobs", ["state"])
    op.create_index(op.f("ix_jobs_created_at"), "jobs", ["created_at"])
    op.create_table(
        "sync_state",
        sa.Column("source_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("cursor_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("full_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_sync_state_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "scope", name=op.f("pk_sync_state")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("sync_state")
    op.drop_index(op.f("ix_jobs_created_at"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_state"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_source_id"), table_name="jobs")
    op.drop_table("jobs")
    op.drop_index("ix_import_pages_import_id_batch", table_name="import_pages")
    op.drop_table("import_pages")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index(op.f("ix_documents_container_id"))
        batch.drop_column("container_id")
    with op.batch_alter_table("imports") as batch:
        batch.drop_index(op.f("ix_imports_job_id"))
        batch.drop_column("purpose")
        batch.drop_column("job_id")
