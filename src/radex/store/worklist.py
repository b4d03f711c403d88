"""Import work lists (``import_pages``) and sync state (``sync_state``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from radex.store.models import ImportPageRow, SyncStateRow
from radex.store.records import SyncState
from radex.store.session import Repository


class WorklistRepository(Repository):
    """What an import still has to do, batch by batch, and where each sync stands."""

    # ---- import work lists ----------------------------------------------------------------

    def add_import_pages(
        self, import_id: str, batch: int, pages: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> int:
        """Add (page id, metadata) rows to batch ``batch`` of an import's work list; a page
        already listed keeps its first row. Returns how many were added."""
        rows = list(pages)
        with self._write() as s:
            have: set[str] = set()
            ids = [pid for pid, _ in rows]
            for start in range(0, len(ids), 500):
                have.update(
                    s.scalars(
                        select(ImportPageRow.page_id).where(
                            ImportPageRow.import_id == import_id,
                            ImportPageRow.page_id.in_(ids[start : start + 500]),
                        )
                    )
                )
            added = 0
            for page_id, meta in rows:
                if page_id in have:
                    continue
                have.add(page_id)
                s.add(
                    ImportPageRow(
                        import_id=import_id, page_id=page_id, batch=batch, meta=dict(meta)
                    )
                )
                added += 1
            return added

    def clear_import_pages(self, import_id: str) -> None:
        """Drop an import's work list (before listing again, or once the run is over)."""
        with self._write() as s:
            s.execute(delete(ImportPageRow).where(ImportPageRow.import_id == import_id))

    def import_batch(self, import_id: str, batch: int) -> list[dict[str, Any]]:
        """The metadata of one batch's pages, by page id."""
        stmt = (
            select(ImportPageRow.meta)
            .where(ImportPageRow.import_id == import_id, ImportPageRow.batch == batch)
            .order_by(ImportPageRow.page_id)
        )
        with self._read() as s:
            return [dict(m) for m in s.scalars(stmt)]

    def import_pages_meta(
        self, import_id: str, page_ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """The listed metadata of these pages (those the work list has)."""
        wanted = list(dict.fromkeys(page_ids))
        out: dict[str, dict[str, Any]] = {}
        with self._read() as s:
            for start in range(0, len(wanted), 500):
                stmt = select(ImportPageRow.page_id, ImportPageRow.meta).where(
                    ImportPageRow.import_id == import_id,
                    ImportPageRow.page_id.in_(wanted[start : start + 500]),
                )
                out.update({pid: dict(meta) for pid, meta in s.execute(stmt)})
        return out

    def import_page_ids(self, import_id: str) -> set[str]:
        """Every page id an import's work list holds."""
        stmt = select(ImportPageRow.page_id).where(ImportPageRow.import_id == import_id)
        with self._read() as s:
            return set(s.scalars(stmt))

    def import_batches(self, import_id: str) -> int:
        """How many batches an import's work list has (0 when empty)."""
        stmt = select(func.max(ImportPageRow.batch)).where(ImportPageRow.import_id == import_id)
        with self._read() as s:
            last = s.scalar(stmt)
        return 0 if last is None else int(last) + 1

    # ---- sync state -----------------------------------------------------------------------

    def sync_state(self, source_id: str, scope: str) -> SyncState:
        """Where a scope's sync stands (never synced: no cursor, no reconciliation)."""
        with self._read() as s:
            row = s.get(SyncStateRow, (source_id, scope))
            return _state(row) if row else SyncState(source_id, scope, None, None)

    def sync_states(self, source_id: str) -> list[SyncState]:
        """Every scope of a source that has synced."""
        stmt = select(SyncStateRow).where(SyncStateRow.source_id == source_id)
        with self._read() as s:
            return [_state(r) for r in s.scalars(stmt.order_by(SyncStateRow.scope))]

    def set_sync_state(
        self,
        source_id: str,
        scope: str,
        *,
        cursor_at: datetime | None = None,
        full_at: datetime | None = None,
    ) -> SyncState:
        """Move a scope's cursor and/or reconciliation time forward (None: leave as is)."""
        with self._write() as s:
            row = _row(s, source_id, scope)
            if cursor_at is not None:
                row.cursor_at = cursor_at
            if full_at is not None:
                row.full_at = full_at
            s.flush()
            return _state(row)


def _row(s: Session, source_id: str, scope: str) -> SyncStateRow:
    row = s.get(SyncStateRow, (source_id, scope))
    if row is None:
        row = SyncStateRow(source_id=source_id, scope=scope, cursor_at=None, full_at=None)
        s.add(row)
    return row


def _state(row: SyncStateRow) -> SyncState:
    return SyncState(row.source_id, row.scope, row.cursor_at, row.full_at)
