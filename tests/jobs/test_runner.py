"""JobRunner: steps to the end, retries transient errors with backoff, fails for good on
others, honours cancel, and sends a signed completion notice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jobs_kit import CountingHandler

from radex.errors import InputError
from radex.jobs import JobRunner, Notifier, signature
from radex.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'radex.db'}") as s:
        yield s


def test_a_job_runs_step_by_step_to_success(store: Store) -> None:
    handler = CountingHandler(steps=4)
    runner = JobRunner(store, {"import": handler})
    job = store.create_job("import", {})
    done = asyncio.run(runner.run_here(job.id))
    assert done.state == "succeeded"
    assert handler.calls == 4
    assert (done.total, done.done, dict(done.checkpoint)) == (4, 4, {"n": 4})
    assert done.lease_owner is None
    assert done.finished_at is not None


def test_transient_errors_are_retried_from_the_checkpoint(store: Store) -> None:
    handler = CountingHandler(steps=2, transient=2)
    runner = JobRunner(store, {"sync": handler}, backoff_s=0.01, max_backoff_s=0.02)
    job = store.create_job("sync", {})
    done = asyncio.run(runner.run_here(job.id))
    assert done.state == "succeeded"
    assert handler.calls == 4
    assert done.attempts == 0  # a good step resets the count
    assert "503" in done.result["last_error"]


def test_retries_give_up_after_max_attempts(store: Store) -> None:
    handler = CountingHandler(steps=2, transient=10)
    runner = JobRunner(store, {"sync": handler}, backoff_s=0.0, max_attempts=3)
    job = store.create_job("sync", {})
    done = asyncio.run(runner.run_here(job.id))
    assert done.state == "failed"
    assert "gave up after 3 attempts" in (done.error or "")
    assert handler.aborted
    assert handler.aborted[0][1] == "failed"


def test_a_fatal_error_fails_the_job_with_its_reason(store: Store) -> None:
    handler = CountingHandler(steps=5, fatal_at=2)
    job = store.create_job("import", {})
    done = asyncio.run(JobRunner(store, {"import": handler}).run_here(job.id))
    assert done.state == "failed"
    assert done.error == "the space key is not known"
    assert dict(done.checkpoint) == {"n": 1}  # resumable from here
    again = store.retry_job(job.id)
    foreground = JobRunner(store, {"import": handler}, reraise=True)  # the CLI's: raises, typed
    with pytest.raises(InputError):
        asyncio.run(foreground.run_here(again.id))


def test_cancel_stops_a_running_job_after_its_step(store: Store) -> None:
    handler = CountingHandler(steps=10)
    runner = JobRunner(store, {"import": handler})
    job = store.create_job("import", {})
    assert job.ticket
    asyncio.run(runner.advance(job.id, job.ticket))
    store.request_cancel(job.id)
    nxt = asyncio.run(runner.advance(job.id, job.ticket))
    assert not nxt.again
    assert store.job(job.id).state == "cancelled"
    assert handler.calls == 1
    assert handler.aborted[0][1] == "cancelled"


def test_unknown_kind_fails_clearly(store: Store) -> None:
    job = store.create_job("permissions", {})
    done = asyncio.run(JobRunner(store, {}).run_here(job.id))
    assert done.state == "failed"
    assert "cannot run jobs of kind 'permissions'" in (done.error or "")


def test_completion_notice_is_signed(store: Store) -> None:
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204 if len(seen) > 1 else 503)  # the first try fails

    notifier = Notifier(
        "http://127.0.0.1:9/hook", "s3cret", backoff_s=0.0, transport=httpx.MockTransport(receive)
    )
    job = store.create_job("import", {}, source_id="src")
    done = asyncio.run(
        JobRunner(store, {"import": CountingHandler(1)}, notifier=notifier).run_here(job.id)
    )
    assert len(seen) == 2
    body = seen[-1].content
    assert seen[-1].headers["X-Radex-Signature"] == signature(body, "s3cret")
    assert seen[-1].headers["X-Radex-Signature"] != signature(body, "other")
    notice = json.loads(body)
    assert notice["event"] == "job.succeeded"
    assert notice["job"]["id"] == job.id
    assert store.job(done.id).result["notified"] == "delivered (HTTP 204)"
