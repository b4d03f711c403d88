"""The job queue on huey: ``SqliteHuey`` in the RADEX home, ``RedisHuey`` at scale.

A queued task names a job and its ticket; running it advances the job one step and queues the
next step (after a backoff delay, when the step is to be retried). A worker killed mid-step
loses that step only: its lease lapses (or its process is seen to be gone), :meth:`recover`
issues the job a new ticket, and another worker redoes the step from the last checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from radex.jobs.runner import JobRunner
from radex.store import Store
from radex.store.models import utcnow
from radex.store.records import JobKind, JobRecord

log = logging.getLogger(__name__)
TASK_NAME = "radex.advance"


def make_huey(*, redis_url: str | None, sqlite_path: Path, immediate: bool = False) -> Huey:
    """The queue: Redis when a URL is given, else a SQLite file (results are not kept:
    job records in the RADEX database are the source of truth)."""
    if redis_url:
        return RedisHuey("radex", url=redis_url, results=False, immediate=immediate)
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("radex", filename=str(sqlite_path), results=False, immediate=immediate)


class JobQueue:
    """Submits, cancels, retries and recovers jobs, and runs them in huey workers."""

    def __init__(self, store: Store, huey: Huey, runner: Callable[[], JobRunner]) -> None:
        self.store, self.huey = store, huey
        self._runner = runner

        @huey.task(name=TASK_NAME)  # type: ignore[untyped-decorator]
        def advance(job_id: str, ticket: str) -> None:
            nxt = asyncio.run(runner().advance(job_id, ticket))
            if nxt.again:
                self._schedule(job_id, ticket, nxt.delay)

        self._advance = advance

    def submit(
        self,
        kind: JobKind,
        params: Mapping[str, Any],
        *,
        source_id: str | None = None,
        owner: str | None = None,
    ) -> JobRecord:
        """Record a job and queue its first step."""
        job = self.store.create_job(kind, params, source_id=source_id, owner=owner)
        self.enqueue(job)
        return job

    def enqueue(self, job: JobRecord) -> None:
        """Queue the job's next step under its current ticket."""
        if job.ticket is not None:
            self._schedule(job.id, job.ticket, 0.0)

    def retry(self, job_id: str) -> JobRecord:
        """Resume a failed or cancelled job from its checkpoint (or re-run a stuck one)."""
        job = self.store.retry_job(job_id)
        self.enqueue(job)
        return job

    def cancel(self, job_id: str) -> JobRecord:
        """Ask a job to stop (it stops after its current step)."""
        return self.store.request_cancel(job_id)

    def recover(self) -> list[JobRecord]:
        """Queue again every unfinished job whose worker is gone: a lapsed lease, a lease held
        by a process of this host that no longer runs, or no lease and no task in the queue
        for a lease's length (its worker died between two steps)."""
        host = socket.gethostname()
        now = utcnow()
        found: dict[str, JobRecord] = {j.id: j for j in self.store.stale_jobs(now=now)}
        for job in self.store.leased_jobs():
            owner_host, _, rest = (job.lease_owner or "").partition(":")
            pid = rest.partition(":")[0]
            if owner_host == host and pid.isdigit() and not _alive(int(pid)):
                found[job.id] = job
        idle = self.store.idle_jobs(before=now - self._runner().lease)
        if idle:
            queued = self._queued_tickets()
            found.update({j.id: j for j in idle if j.ticket not in queued})
        out = []
        for job in found.values():
            fresh = self.store.requeue_job(job.id, ticket=job.ticket, lease_owner=job.lease_owner)
            if fresh is None:
                continue  # a worker took it meanwhile
            log.warning("job %s: its worker is gone; queued again from its checkpoint", job.id)
            self.enqueue(fresh)
            out.append(fresh)
        return out

    def _queued_tickets(self) -> set[str]:
        """The tickets of the tasks waiting in the queue or scheduled for later."""
        tickets = set()
        for task in [*self.huey.pending(), *self.huey.scheduled()]:
            args: tuple[Any, ...] = tuple(getattr(task, "args", None) or ())
            if getattr(task, "name", None) == TASK_NAME and len(args) == 2:
                tickets.add(str(args[1]))
        return tickets

    def consumer(self, workers: int = 1) -> Consumer:
        """A huey consumer running ``workers`` threads (start it, or run it in the main thread)."""
        return self.huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            backoff=1.3,
            max_delay=1.0,
        )

    def pending(self) -> int:
        """How many tasks wait in the queue."""
        return int(self.huey.pending_count())

    def _schedule(self, job_id: str, ticket: str, delay: float) -> None:
        if delay > 0:
            self._advance.schedule(args=(job_id, ticket), delay=delay)
        else:
            self._advance(job_id, ticket)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
