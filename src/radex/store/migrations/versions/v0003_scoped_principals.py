"""Scope Confluence principals in stored Acls by their source (``user:<source>:<id>``).

Before this revision an Acl named ``user:<accountId>`` and ``group:<name>``, which let a group of
one connected site open another site's pages. Each document's Confluence principals are now
prefixed with the document's source id; ``anyone``, roles and RADEX's own (``radex:``)
principals are left as they are. The index (a separate file) drops its Acls on its own upgrade
and is sent these again when RADEX starts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOCS = sa.table(
    "documents",
    sa.column("id", sa.String),
    sa.column("source_id", sa.String),
    sa.column("acl", sa.JSON),
)


def _rewrite(acl: Any, change: Any) -> Any:
    return [[change(p) for p in clause] for clause in acl or []]


def _scope(source_id: str) -> Any:
    def change(p: str) -> str:
        kind, sep, name = p.partition(":")
        if kind in ("user", "group") and sep and not name.startswith(("radex:", f"{source_id}:")):
            return f"{kind}:{source_id}:{name}"
        return p

    return change


def _unscope(source_id: str) -> Any:
    def change(p: str) -> str:
        prefix = f"{source_id}:"
        kind, sep, name = p.partition(":")
        if kind in ("user", "group") and sep and name.startswith(prefix):
            return f"{kind}:{name[len(prefix) :]}"
        return p

    return change


def _apply(make: Any) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_DOCS.c.id, _DOCS.c.source_id, _DOCS.c.acl)).all()
    for doc_id, source_id, acl in rows:
        fresh = _rewrite(acl, make(source_id))
        if fresh != acl:
            bind.execute(_DOCS.update().where(_DOCS.c.id == doc_id).values(acl=fresh))


def upgrade() -> None:
    """Apply this revision."""
    _apply(_scope)


def downgrade() -> None:
    """Revert this revision."""
    _apply(_unscope)
