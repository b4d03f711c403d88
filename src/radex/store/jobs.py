"""The ``jobs`` table: background jobs, their progress, checkpoints, leases and tickets.

A job is advanced one small step at a time by whichever worker holds its lease. A ticket names
the one queued task allowed to advance it: re-queuing a job (after a crash, or a retry) issues a
new ticket, so a stale task that still sits in a queue does nothing when it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from radex.errors import InputError, NotFoundError
from radex.store.models import JobRow, utcnow
from radex.store.records import (
    FINAL_STATES,
    JOB_KINDS,
    JobKind,
    JobRecord,
    JobState,
)
from radex.store.session import Repository, new_id


class JobRepository(Repository):
    """Jobs: create, lease, advance, finish, list."""

    def create_job(
        self,
        kind: JobKind,
        params: Mapping[str, Any],
        *,
        source_id: str | None = None,
        owner: str | None = None,
    ) -> JobRecord:
        """Record a queued job with a fresh ticket."""
        if kind not in JOB_KINDS:
            raise InputError(f"job kind '{kind}' is not one of {', '.join(JOB_KINDS)}")
        now = utcnow()
        with self._write() as s:
            row = JobRow(
                id=new_id(),
                kind=kind,
                source_id=source_id,
                params=dict(params),
                owner=owner,
                state="queued",
                total=0,
                done=0,
                failed=0,
                checkpoint={},
                result={},
                error=None,
                attempts=0,
                ticket=new_id(),
                lease_owner=None,
                lease_until=None,
                cancel_requested=False,
                created_at=now,
                started_at=None,
                finished_at=None,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return to_job(row)

    def job(self, job_id: str) -> JobRecord:
        """The job with this id (a unique prefix of it will do)."""
        with self._read() as s:
            return to_job(_get(s, job_id))

    def jobs(
        self,
        *,
        source_id: str | None = None,
        kind: JobKind | None = None,
        states: tuple[JobState, ...] | None = None,
        limit: int = 50,
    ) -> list[JobRecord]:
        """The newest jobs first, optionally of one source, kind or set of states."""
        stmt = select(JobRow)
        if source_id is not None:
            stmt = stmt.where(JobRow.source_id == source_id)
        if kind is not None:
            stmt = stmt.where(JobRow.kind == kind)
        if states is not None:
            stmt = stmt.where(JobRow.state.in_(states))
        stmt = stmt.order_by(JobRow.created_at.desc(), JobRow.id).limit(limit)
        with self._read() as s:
            return [to_job(r) for r in s.scalars(stmt)]

    def claim_job(self, job_id: str, ticket: str, owner: str, lease: timedelta) -> JobRecord | None:
        """Take the job's lease for ``owner`` when ``ticket`` is still its ticket, the job is
        not finished and no other live lease holds it; None otherwise (the task is stale)."""
        now = utcnow()
        with self._write() as s:
            done = s.execute(
                update(JobRow)
                .where(
                    JobRow.id == job_id,
                    JobRow.ticket == ticket,
                    JobRow.state.in_(("queued", "running")),
                    or_(
                        JobRow.lease_owner.is_(None),
                        JobRow.lease_owner == owner,
                        JobRow.lease_until < now,
                    ),
                )
                .values(
                    lease_owner=owner,
                    lease_until=now + lease,
                    state="running",
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(done, "rowcount", 0):
                return None
            row = _get(s, job_id)
            if row.started_at is None:
                row.started_at = now
            return to_job(row)

    def renew_lease(self, job_id: str, owner: str, lease: timedelta) -> bool:
        """Extend a held lease (the worker's heartbeat); False when it was lost."""
        now = utcnow()
        with self._write() as s:
            done = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner)
                .values(lease_until=now + lease)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(done, "rowcount", 0))

    def release_job(self, job_id: str, owner: str) -> None:
        """Give the lease back (the step finished; the next task may run anywhere)."""
        with self._write() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )

    def advance_job(
        self,
        job_id: str,
        *,
        checkpoint: Mapping[str, Any] | None = None,
        total: int | None = None,
        done: int | None = None,
        failed: int | None = None,
        result: Mapping[str, Any] | None = None,
        attempts: int | None = None,
    ) -> JobRecord:
        """Record progress and (after a step) the checkpoint to resume from."""
        with self._write() as s:
            row = _get(s, job_id)
            if checkpoint is not None:
                row.checkpoint = dict(checkpoint)
            if total is not None:
                row.total = total
            if done is not None:
                row.done = done
            if failed is not None:
                row.failed = failed
            if result is not None:
                row.result = {**row.result, **result}
            if attempts is not None:
                row.attempts = attempts
            row.updated_at = utcnow()
            s.flush()
            return to_job(row)

    def retry_job(self, job_id: str, *, attempt: bool = True) -> JobRecord:
        """Queue the job again from its checkpoint with a new ticket (its old queued task, if
        any, becomes stale); ``attempt`` counts it as another attempt."""
        with self._write() as s:
            row = _get(s, job_id)
            _requeue(row, attempt=attempt)
            s.flush()
            return to_job(row)

    def requeue_job(
        self, job_id: str, *, ticket: str | None, lease_owner: str | None
    ) -> JobRecord | None:
        """Queue a job whose worker is gone again from its checkpoint with a new ticket (not
        counted as an attempt; a cancel asked for stays asked for), only while it still has
        this ticket and lease holder: a worker that took the job meanwhile keeps it. None when
        the job moved on."""
        with self._write() as s:
            row = _get(s, job_id)
            if (
                row.state not in ("queued", "running")
                or row.ticket != ticket
                or row.lease_owner != lease_owner
            ):
                return None
            cancel = row.cancel_requested
            _requeue(row, attempt=False)
            row.cancel_requested = cancel
            s.flush()
            return to_job(row)

    def request_cancel(self, job_id: str) -> JobRecord:
        """Ask a job to stop: a queued job is cancelled at once, a running one after its step."""
        with self._write() as s:
            row = _get(s, job_id)
            if row.state in FINAL_STATES:
                raise InputError(
                    f"job {row.id[:12]} has already {row.state}",
                    hint="`radex jobs show` tells more",
                )
            row.cancel_requested = True
            if row.state == "queued" and row.lease_owner is None:
                _finish(row, "cancelled", None)
            row.updated_at = utcnow()
            s.flush()
            return to_job(row)

    def finish_job(self, job_id: str, state: JobState, error: str | None = None) -> JobRecord:
        """Close a job as succeeded, failed or cancelled (its lease goes with it)."""
        if state not in FINAL_STATES:
            raise InputError(f"a job finishes as succeeded, failed or cancelled, not '{state}'")
        with self._write() as s:
            row = _get(s, job_id)
            _finish(row, state, error)
            s.flush()
            return to_job(row)

    def stale_jobs(self, *, now: datetime | None = None) -> list[JobRecord]:
        """Unfinished jobs whose lease ran out (their worker died or lost contact)."""
        moment = now or utcnow()
        stmt = select(JobRow).where(
            JobRow.state.in_(("queued", "running")),
            JobRow.lease_owner.is_not(None),
            JobRow.lease_until < moment,
        )
        with self._read() as s:
            return [to_job(r) for r in s.scalars(stmt)]

    def idle_jobs(self, *, before: datetime) -> list[JobRecord]:
        """Unfinished jobs no worker holds that nothing touched since ``before``: waiting in
        a queue, or orphaned (a worker died after giving a job back, before it queued the
        next step; or after taking a task from the queue, before it claimed the job)."""
        stmt = select(JobRow).where(
            JobRow.state.in_(("queued", "running")),
            JobRow.lease_owner.is_(None),
            JobRow.updated_at < before,
        )
        with self._read() as s:
            return [to_job(r) for r in s.scalars(stmt)]

    def leased_jobs(self) -> list[JobRecord]:
        """Unfinished jobs that some worker holds a lease on."""
        stmt = select(JobRow).where(
            JobRow.state.in_(("queued", "running")), JobRow.lease_owner.is_not(None)
        )
        with self._read() as s:
            return [to_job(r) for r in s.scalars(stmt)]

    def delete_jobs(self, source_id: str) -> int:
        """Forget a source's jobs (when the source is disconnected)."""
        with self._write() as s:
            rows = list(s.scalars(select(JobRow).where(JobRow.source_id == source_id)))
            for row in rows:
                s.delete(row)
            return len(rows)


def _requeue(row: JobRow, *, attempt: bool) -> None:
    row.state = "queued"
    row.ticket = new_id()
    row.lease_owner = None
    row.lease_until = None
    row.cancel_requested = False
    row.finished_at = None
    row.error = None
    if attempt:
        row.attempts += 1
    row.updated_at = utcnow()


def _finish(row: JobRow, state: str, error: str | None) -> None:
    now = utcnow()
    row.state = state
    row.error = error
    row.lease_owner = None
    row.lease_until = None
    row.finished_at = now
    row.updated_at = now


def _get(s: Session, job_id: str) -> JobRow:
    row = s.get(JobRow, job_id)
    if row is None and 4 <= len(job_id) < 32:
        found = list(s.scalars(select(JobRow).where(JobRow.id.startswith(job_id)).limit(2)))
        if len(found) == 1:
            row = found[0]
        elif found:
            raise InputError(f"job id prefix '{job_id}' is ambiguous", hint="give more of the id")
    if row is None:
        raise NotFoundError(f"no job with id '{job_id}'", hint="`radex jobs list` shows the jobs")
    return row


def to_job(row: JobRow) -> JobRecord:
    """The job a row holds."""
    return JobRecord(
        id=row.id,
        kind=cast(JobKind, row.kind),
        source_id=row.source_id,
        params=dict(row.params),
        owner=row.owner,
        state=cast(JobState, row.state),
        total=row.total,
        done=row.done,
        failed=row.failed,
        checkpoint=dict(row.checkpoint),
        result=dict(row.result),
        error=row.error,
        attempts=row.attempts,
        ticket=row.ticket,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        cancel_requested=row.cancel_requested,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        updated_at=row.updated_at,
    )
