"""Advancing a job one step: lease, heartbeat, cancel, retries with backoff, completion.

A worker takes a job's lease for the length of one step and renews it while the step runs.
Transient upstream errors (throttling, timeouts, 5xx) are retried with jittered exponential
backoff from the same checkpoint; anything else fails the job with its reason. Per-item
failures (one bad page) are not errors here: the handler records them and the job goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from radex.errors import RadexError, RateLimitedError, TransientError
from radex.jobs.notify import Notifier
from radex.store import Store
from radex.store.records import JobRecord, JobState
from radex.types import StepOutcome

log = logging.getLogger(__name__)
_TOKEN = uuid.uuid4().hex[:8]


def worker_id() -> str:
    """This process's name as a lease holder: ``host:pid:token``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_TOKEN}"


class JobHandler(Protocol):
    """Does the steps of one kind of job."""

    async def step(self, job: JobRecord) -> StepOutcome:
        """Do the job's next step."""
        ...

    async def abort(self, job: JobRecord, state: JobState, error: str | None) -> None:
        """The job ended early (failed or cancelled): close what its steps left open."""
        ...


@dataclass(frozen=True)
class Next:
    """What the queue should do after a step: run the job again (after ``delay`` seconds),
    or nothing (finished, cancelled, or the task was stale)."""

    again: bool
    delay: float = 0.0


class JobRunner:
    """Runs job steps with their handlers; the same code in the CLI, a worker or a server."""

    def __init__(
        self,
        store: Store,
        handlers: dict[str, JobHandler],
        *,
        notifier: Notifier | None = None,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 6,
        backoff_s: float = 2.0,
        max_backoff_s: float = 300.0,
        reraise: bool = False,
    ) -> None:
        self.store, self.handlers, self.notifier = store, handlers, notifier
        self.lease, self.max_attempts = lease, max_attempts
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.owner = worker_id()
        self.reraise = reraise  # the foreground CLI: a job's fatal error is raised, typed

    async def advance(self, job_id: str, ticket: str) -> Next:
        """Do one step of the job, if ``ticket`` is still its ticket and no one else holds it."""
        job = await asyncio.to_thread(self.store.claim_job, job_id, ticket, self.owner, self.lease)
        if job is None:
            return Next(False)
        if job.cancel_requested:
            await self._end(job, "cancelled", "cancelled on request")
            return Next(False)
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self._end(job, "failed", f"this worker cannot run jobs of kind '{job.kind}'")
            return Next(False)
        beat = asyncio.create_task(self._heartbeat(job.id))
        try:
            outcome = await handler.step(job)
        except (RateLimitedError, TransientError) as exc:
            return await self._retry(job, exc)
        except RadexError as exc:
            await self._end(job, "failed", str(exc))
            if self.reraise:
                raise
            return Next(False)
        except Exception as exc:
            log.exception("job %s: step failed", job.id)
            await self._end(job, "failed", f"internal error: {type(exc).__name__}: {exc}")
            return Next(False)
        finally:
            beat.cancel()
            with suppress(asyncio.CancelledError):
                await beat
        job = await asyncio.to_thread(
            self.store.advance_job,
            job.id,
            checkpoint=outcome.checkpoint,
            total=outcome.total,
            done=outcome.done,
            failed=outcome.failed,
            result=outcome.result,
            attempts=0,
        )
        if outcome.finished:
            await self._end(job, "succeeded", None, abort=False)
            return Next(False)
        await asyncio.to_thread(self.store.release_job, job.id, self.owner)
        return Next(True)

    async def run_here(self, job_id: str) -> JobRecord:
        """Run the job to its end in this process (the CLI's foreground mode)."""
        job = await asyncio.to_thread(self.store.job, job_id)
        while not job.final:
            if job.ticket is None:
                break
            nxt = await self.advance(job.id, job.ticket)
            job = await asyncio.to_thread(self.store.job, job.id)
            if not nxt.again:
                break
            if nxt.delay:  # hold the job while waiting, or a worker's recovery would take it
                hold = self.lease + timedelta(seconds=nxt.delay)
                if job.ticket is not None:
                    await asyncio.to_thread(
                        self.store.claim_job, job.id, job.ticket, self.owner, hold
                    )
                await asyncio.sleep(nxt.delay)
        return job

    async def _retry(self, job: JobRecord, exc: RadexError) -> Next:
        attempts = job.attempts + 1
        if attempts >= self.max_attempts:
            await self._end(job, "failed", f"gave up after {attempts} attempts: {exc}")
            if self.reraise:
                raise exc
            return Next(False)
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempts - 1))
        if isinstance(exc, RateLimitedError) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        delay *= random.uniform(0.8, 1.2)
        await asyncio.to_thread(
            self.store.advance_job,
            job.id,
            attempts=attempts,
            result={"last_error": f"attempt {attempts}: {exc} (retrying in {delay:.0f} s)"},
        )
        await asyncio.to_thread(self.store.release_job, job.id, self.owner)
        return Next(True, delay)

    async def _end(
        self, job: JobRecord, state: JobState, error: str | None, *, abort: bool = True
    ) -> None:
        handler = self.handlers.get(job.kind)
        if abort and handler is not None:
            try:
                await handler.abort(job, state, error)
            except Exception:
                log.exception("job %s: closing after %s failed", job.id, state)
        done = await asyncio.to_thread(self.store.finish_job, job.id, state, error)
        if self.notifier is not None:
            status = await self.notifier.send(done)
            await asyncio.to_thread(self.store.advance_job, job.id, result={"notified": status})

    async def _heartbeat(self, job_id: str) -> None:
        period = max(1.0, self.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(period)
            await asyncio.to_thread(self.store.renew_lease, job_id, self.owner, self.lease)
