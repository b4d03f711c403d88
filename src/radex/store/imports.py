"""The ``imports`` and ``import_items`` tables: runs, their tallies and per-item outcomes."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from radex.errors import InputError, NotFoundError
from radex.store.convert import to_import, to_item
from radex.store.models import ImportItemRow, ImportRow, utcnow
from radex.store.records import (
    COUNT_KEYS,
    IMPORT_KINDS,
    IMPORT_STATUSES,
    ITEM_OUTCOMES,
    ImportItem,
    ImportKind,
    ImportPurpose,
    ImportRun,
    ImportStatus,
    ItemOutcome,
)
from radex.store.session import Repository, new_id


class ImportRepository(Repository):
    """Import runs: start, record items, update tallies, finish, list."""

    def start_import(
        self,
        source_id: str | None,
        kind: ImportKind,
        target: str,
        folder_id: str | None = None,
        *,
        job_id: str | None = None,
        purpose: ImportPurpose = "import",
    ) -> ImportRun:
        """Record a new running import with zero tallies (of a job, when ``job_id`` is given)."""
        if kind not in IMPORT_KINDS:
            raise InputError(f"import kind '{kind}' is not one of {', '.join(IMPORT_KINDS)}")
        with self._write() as s:
            row = ImportRow(
                id=new_id(),
                source_id=source_id,
                kind=kind,
                target=target,
                folder_id=folder_id,
                status="running",
                started_at=utcnow(),
                finished_at=None,
                counts=dict.fromkeys(COUNT_KEYS, 0),
                error=None,
                job_id=job_id,
                purpose=purpose,
            )
            s.add(row)
            s.flush()
            return to_import(row)

    def record_item(
        self,
        import_id: str,
        external_id: str,
        title: str | None,
        outcome: ItemOutcome,
        reason: str | None = None,
    ) -> ImportItem:
        """Record what happened to one piece of content in a run."""
        if outcome not in ITEM_OUTCOMES:
            raise InputError(f"outcome '{outcome}' is not one of {', '.join(ITEM_OUTCOMES)}")
        try:
            with self._write() as s:
                row = ImportItemRow(
                    import_id=import_id,
                    external_id=external_id,
                    title=title,
                    outcome=outcome,
                    reason=reason,
                    at=utcnow(),
                )
                s.add(row)
                s.flush()
                return to_item(row)
        except IntegrityError as exc:
            raise NotFoundError(f"no import with id '{import_id}'") from exc

    def update_import_counts(self, import_id: str, counts: Mapping[str, int]) -> ImportRun:
        """Replace a running import's tallies (progress; keys not given keep their value)."""
        with self._write() as s:
            row = _get(s, import_id)
            row.counts = {**row.counts, **{k: int(v) for k, v in counts.items()}}
            s.flush()
            return to_import(row)

    def add_import_counts(self, import_id: str, delta: Mapping[str, int]) -> ImportRun:
        """Add to a running import's tallies (one resumable step's share)."""
        with self._write() as s:
            row = _get(s, import_id)
            merged = dict(row.counts)
            for key, value in delta.items():
                merged[key] = merged.get(key, 0) + int(value)
            row.counts = merged
            s.flush()
            return to_import(row)

    def import_scopes(self, source_id: str) -> list[ImportRun]:
        """The latest successful import of each distinct (kind, target, folder) of a source:
        what a sync keeps up to date."""
        stmt = (
            select(ImportRow)
            .where(
                ImportRow.source_id == source_id,
                ImportRow.status == "done",
                ImportRow.purpose == "import",
            )
            .order_by(ImportRow.started_at)
        )
        latest: dict[tuple[str, str, str | None], ImportRun] = {}
        with self._read() as s:
            for row in s.scalars(stmt):
                latest[(row.kind, row.target, row.folder_id)] = to_import(row)
        return list(latest.values())

    def job_imports(self, job_id: str) -> list[ImportRun]:
        """The runs a job made, oldest first."""
        stmt = select(ImportRow).where(ImportRow.job_id == job_id)
        with self._read() as s:
            return [to_import(r) for r in s.scalars(stmt.order_by(ImportRow.started_at))]

    def finish_import(
        self,
        import_id: str,
        status: ImportStatus,
        counts: Mapping[str, int],
        error: str | None = None,
    ) -> ImportRun:
        """Close a run with its final status and tallies."""
        if status not in IMPORT_STATUSES or status == "running":
            raise InputError(f"an import finishes as done, failed or cancelled, not '{status}'")
        with self._write() as s:
            row = _get(s, import_id)
            row.status = status
            row.counts = {**row.counts, **{k: int(v) for k, v in counts.items()}}
            row.error = error
            row.finished_at = utcnow()
            s.flush()
            return to_import(row)

    def reopen_import(self, import_id: str) -> ImportRun:
        """Mark a failed or cancelled run as running again (its job was resumed)."""
        with self._write() as s:
            row = _get(s, import_id)
            row.status = "running"
            row.finished_at = None
            row.error = None
            s.flush()
            return to_import(row)

    def import_run(self, import_id: str) -> ImportRun:
        """The import with this id (NotFoundError when there is none)."""
        with self._read() as s:
            return to_import(_get(s, import_id))

    def imports(self, limit: int = 20) -> list[ImportRun]:
        """The newest runs first."""
        stmt = select(ImportRow).order_by(ImportRow.started_at.desc(), ImportRow.id).limit(limit)
        with self._read() as s:
            return [to_import(r) for r in s.scalars(stmt)]

    def import_items(self, import_id: str, outcome: ItemOutcome | None = None) -> list[ImportItem]:
        """A run's items in the order they were recorded (of one outcome, when given)."""
        stmt = select(ImportItemRow).where(ImportItemRow.import_id == import_id)
        if outcome is not None:
            stmt = stmt.where(ImportItemRow.outcome == outcome)
        with self._read() as s:
            return [to_item(r) for r in s.scalars(stmt.order_by(ImportItemRow.id))]


def _get(s: Session, import_id: str) -> ImportRow:
    row = s.get(ImportRow, import_id)
    if row is None:
        raise NotFoundError(f"no import with id '{import_id}'")
    return row
