"""The huey queue with real consumers: SQLite in the home, and a real Redis server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from jobs_kit import CountingHandler, redis_server, wait_for

from radex.jobs import JobQueue, JobRunner, make_huey
from radex.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'radex.db'}") as s:
        yield s


def run_with_consumer(store: Store, queue: JobQueue, kind: str = "import") -> None:
    job = queue.submit(kind, {})  # type: ignore[arg-type]
    consumer = queue.consumer(2)
    consumer.start()
    try:
        wait_for(lambda: store.job(job.id).final)
    finally:
        consumer.stop(graceful=True)
    done = store.job(job.id)
    assert done.state == "succeeded"
    assert done.done == 3


def test_sqlite_queue_runs_a_job_to_the_end(store: Store, tmp_path: Path) -> None:
    runner = JobRunner(store, {"import": CountingHandler(3)})
    queue = JobQueue(
        store, make_huey(redis_url=None, sqlite_path=tmp_path / "q.db"), lambda: runner
    )
    run_with_consumer(store, queue)


def test_redis_queue_runs_a_job_to_the_end(store: Store, tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        runner = JobRunner(store, {"import": CountingHandler(3)})
        queue = JobQueue(
            store, make_huey(redis_url=url, sqlite_path=tmp_path / "q.db"), lambda: runner
        )
        run_with_consumer(store, queue)
        assert queue.pending() == 0


def test_recover_requeues_a_job_whose_worker_died(store: Store, tmp_path: Path) -> None:
    handler = CountingHandler(3)
    runner = JobRunner(store, {"import": handler})
    queue = JobQueue(
        store, make_huey(redis_url=None, sqlite_path=tmp_path / "q.db"), lambda: runner
    )
    job = store.create_job("import", {})
    assert job.ticket
    host = runner.owner.split(":")[0]
    dead = f"{host}:999999:gone"  # a process of this host that no longer runs
    store.claim_job(job.id, job.ticket, dead, timedelta(hours=1))
    other = store.create_job("import", {})
    assert other.ticket
    store.claim_job(other.id, other.ticket, runner.owner, timedelta(hours=1))  # alive: kept
    recovered = queue.recover()
    assert [j.id for j in recovered] == [job.id]
    assert recovered[0].ticket != job.ticket
    assert recovered[0].attempts == 0
    consumer = queue.consumer(1)
    consumer.start()
    try:
        wait_for(lambda: store.job(job.id).final)
    finally:
        consumer.stop(graceful=True)
    assert store.job(job.id).state == "succeeded"
    assert store.job(other.id).state == "running"


def test_a_stale_task_does_nothing(store: Store, tmp_path: Path) -> None:
    handler = CountingHandler(3)
    runner = JobRunner(store, {"import": handler})
    job = store.create_job("import", {})
    assert job.ticket
    store.retry_job(job.id, attempt=False)  # a new ticket: the old task is stale
    nxt = asyncio.run(runner.advance(job.id, job.ticket))
    assert not nxt.again
    assert handler.calls == 0


def test_recover_requeues_a_job_given_back_but_never_queued_again(
    store: Store, tmp_path: Path
) -> None:
    runner = JobRunner(store, {"import": CountingHandler(2)}, lease=timedelta(milliseconds=50))
    queue = JobQueue(
        store, make_huey(redis_url=None, sqlite_path=tmp_path / "q.db"), lambda: runner
    )
    orphan = store.create_job("import", {})  # its worker died between two steps
    waiting = queue.submit("import", {})  # its task waits in the queue: left alone
    cancelling = store.create_job("import", {})
    assert cancelling.ticket
    host = runner.owner.split(":")[0]
    store.claim_job(cancelling.id, cancelling.ticket, f"{host}:999999:gone", timedelta(hours=1))
    store.request_cancel(cancelling.id)  # asked while its worker was dying
    assert [j.id for j in queue.recover()] == [cancelling.id]  # the others are not idle yet
    time.sleep(0.1)
    recovered = queue.recover()
    assert [j.id for j in recovered] == [orphan.id]
    assert queue.recover() == []  # queued now
    consumer = queue.consumer(1)
    consumer.start()
    try:
        wait_for(lambda: all(store.job(j.id).final for j in (orphan, waiting, cancelling)))
    finally:
        consumer.stop(graceful=True)
    assert store.job(orphan.id).state == "succeeded"
    assert store.job(waiting.id).state == "succeeded"
    assert store.job(cancelling.id).state == "cancelled"


async def test_a_foreground_job_keeps_its_lease_while_it_backs_off(
    store: Store, tmp_path: Path
) -> None:
    lease = timedelta(milliseconds=50)
    runner = JobRunner(store, {"sync": CountingHandler(2, transient=1)}, lease=lease, backoff_s=0.5)
    queue = JobQueue(
        store, make_huey(redis_url=None, sqlite_path=tmp_path / "q.db"), lambda: runner
    )
    job = store.create_job("sync", {})
    here = asyncio.create_task(runner.run_here(job.id))
    await asyncio.sleep(0.2)  # backing off, not queued anywhere, idle for longer than a lease
    assert store.job(job.id).lease_owner == runner.owner
    assert await asyncio.to_thread(queue.recover) == []  # a worker would not take it
    done = await here
    assert done.state == "succeeded"
