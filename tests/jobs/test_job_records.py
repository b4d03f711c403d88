"""Job records in a real SQLite store: tickets, leases, retries, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from radex.errors import InputError, NotFoundError
from radex.store import Store

LEASE = timedelta(seconds=30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'radex.db'}") as s:
        yield s


def test_a_ticket_admits_one_holder_at_a_time(store: Store) -> None:
    job = store.create_job("import", {"x": 1}, owner="ana")
    assert job.state == "queued"
    assert job.ticket
    assert store.claim_job(job.id, "not-the-ticket", "w1", LEASE) is None
    held = store.claim_job(job.id, job.ticket, "w1", LEASE)
    assert held is not None
    assert held.state == "running"
    assert held.lease_owner == "w1"
    assert store.claim_job(job.id, job.ticket, "w2", LEASE) is None  # w1 holds it
    assert store.claim_job(job.id, job.ticket, "w1", LEASE) is not None  # its own again
    store.release_job(job.id, "w1")
    assert store.claim_job(job.id, job.ticket, "w2", LEASE) is not None


def test_a_lapsed_lease_is_stale_and_claimable(store: Store) -> None:
    job = store.create_job("sync", {})
    assert job.ticket
    store.claim_job(job.id, job.ticket, "w1", timedelta(seconds=-1))
    assert [j.id for j in store.stale_jobs()] == [job.id]
    assert store.claim_job(job.id, job.ticket, "w2", LEASE) is not None
    assert store.stale_jobs() == []


def test_retry_issues_a_new_ticket_and_the_old_one_is_dead(store: Store) -> None:
    job = store.create_job("import", {})
    old = job.ticket
    assert old
    store.claim_job(job.id, old, "w1", LEASE)
    store.finish_job(job.id, "failed", "boom")
    again = store.retry_job(job.id)
    assert again.state == "queued"
    assert again.ticket != old
    assert again.attempts == 1
    assert again.error is None
    assert again.finished_at is None
    assert store.claim_job(job.id, old, "w1", LEASE) is None
    assert again.ticket
    assert store.claim_job(job.id, again.ticket, "w1", LEASE) is not None


def test_cancel_a_queued_job_at_once_and_a_running_one_by_request(store: Store) -> None:
    queued = store.create_job("import", {})
    assert store.request_cancel(queued.id).state == "cancelled"
    running = store.create_job("import", {})
    assert running.ticket
    store.claim_job(running.id, running.ticket, "w1", LEASE)
    asked = store.request_cancel(running.id)
    assert asked.state == "running"
    assert asked.cancel_requested
    store.finish_job(running.id, "cancelled")
    with pytest.raises(InputError, match="already cancelled"):
        store.request_cancel(running.id)


def test_progress_checkpoint_and_result_merge(store: Store) -> None:
    job = store.create_job("import", {})
    store.advance_job(job.id, checkpoint={"i": 1}, total=10, done=3, result={"a": 1})
    got = store.advance_job(job.id, done=5, result={"b": 2})
    assert (got.total, got.done, dict(got.checkpoint)) == (10, 5, {"i": 1})
    assert dict(got.result) == {"a": 1, "b": 2}


def test_a_unique_prefix_finds_a_job_and_a_bad_one_says_so(store: Store) -> None:
    job = store.create_job("import", {})
    assert store.job(job.id[:10]).id == job.id
    with pytest.raises(NotFoundError, match="radex jobs list"):
        store.job("ffffffffff")
    with pytest.raises(InputError):
        store.create_job("teleport", {})  # type: ignore[arg-type]
