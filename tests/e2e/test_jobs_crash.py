"""Crash safety of import jobs, with real processes: a `radex worker` is killed (SIGKILL) at five
random points of a 2,000-page import and started again each time; the knowledge base it ends
with (documents, chunks, vectors, and the search index) is the one a clean import makes.

The emulated site runs in a process of its own; the job is queued in SQLite in the RADEX home,
where each new worker finds it (the dead worker's lease names a process that is gone) and goes
on from its last checkpoint.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from pathlib import Path

from e2e_kit import (
    SPACE,
    SiteSpec,
    Worker,
    build_emulator,
    connect,
    current,
    emulator_process,
    index_disagreements,
    position,
    services,
    wait_for,
)
from ingest_kit import admin_credential, make_emulator, served
from ingest_kit import services as sample_services
from sync_kit import differences, snapshot

from radex.app import Services
from radex.confluence.emulator.generator import load_sample_fixture
from radex.ingest.importer import BATCH_PAGES, ImportSpec
from radex.ingest.plan import ImportTarget
from radex.store.records import JobRecord

# Attachments of 40 pages (of the ~260 that have some) keep the extras step realistic but short.
SITE = SiteSpec(pages=2000, seed=20, attachments=40)
KILLS = 5
SEED = 3


def kill_plan(rng: random.Random, batches: int) -> list[tuple[int, float]]:
    """Five (step, seconds into it) points: one in the first steps (planning, starting,
    listing), one in each third of the batches, one in the extras step."""
    thirds = [range(3 + i * batches // 3, 3 + (i + 1) * batches // 3) for i in range(3)]
    steps = [rng.randrange(0, 3), *(rng.choice(t) for t in thirds), 3 + batches]
    return [(step, rng.uniform(0.05, 1.5)) for step in steps]


def owner_pid(job: JobRecord) -> int | None:
    parts = (job.lease_owner or "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def run_with_kills(
    svc: Services, job: JobRecord, worker: Worker, plan: list[tuple[int, float]]
) -> list[str]:
    """Start a worker; at each point of the plan, once a (new) worker goes on with the job and
    the job is at that step, wait the pause, SIGKILL the worker and start another; then wait
    for the job to end. Returns where the job was at each kill."""
    kills: list[str] = []

    def now() -> JobRecord:
        return svc.store.job(job.id)

    worker.start()
    for step, pause in plan:
        at = position(now())

        def resumed(at: int = at) -> bool:
            seen = now()
            return owner_pid(seen) == worker.pid or position(seen) != at

        def reached(step: int = step) -> bool:
            return position(now()) >= step

        wait_for(f"worker {worker.started} to go on with the job", resumed, 60)
        wait_for(f"step {step}", reached, 120)
        time.sleep(pause)
        before = now()
        assert not before.final, f"the job ended before kill {len(kills) + 1}: {kills}"
        worker.kill()
        kills.append(f"step {position(before)} ({before.checkpoint.get('phase')})")
        worker.start()
    wait_for("the job to end", lambda: now().final, 240, every=0.2)
    return kills


def test_a_killed_worker_restarted_five_times_ends_with_a_clean_imports_knowledge_base(
    tmp_path: Path,
) -> None:
    probe = build_emulator(SITE)
    expected = {c.id for c in current(probe)}
    listed = sum(1 for c in current(probe) if c.type in ("page", "blogpost"))
    plan = kill_plan(random.Random(SEED), math.ceil(listed / BATCH_PAGES))
    home = tmp_path / "home"
    with emulator_process(SITE, tmp_path / "emulator.log") as url:
        svc = services(home)
        try:
            source = connect(svc, SITE, probe, url)
            job = svc.import_job(source, ImportSpec(ImportTarget.space(SPACE)))
            svc.queue.enqueue(job)
            worker = Worker(home, tmp_path / "worker.log")
            started = time.monotonic()
            try:
                kills = run_with_kills(svc, job, worker, plan)
            finally:
                worker.stop()
            elapsed = time.monotonic() - started
            done = svc.store.job(job.id)
            assert done.state == "succeeded", (done.error, kills)
            assert (done.failed, done.error) == (0, None), kills
            assert done.total >= listed  # a step redone after a kill may count again
            assert done.done >= listed
            runs = svc.store.job_imports(job.id)
            assert [r.status for r in runs] == ["done"], "one import run, finished"
            got = snapshot(svc)
            assert not index_disagreements(svc)
        finally:
            svc.close()
        assert len(kills) == KILLS
        assert worker.started == KILLS + 1
        assert set(got) == expected
        clean = services(tmp_path / "clean")
        try:
            clean_job = clean.import_job(
                connect(clean, SITE, probe, url), ImportSpec(ImportTarget.space(SPACE))
            )
            clean_done = asyncio.run(clean.runner().run_here(clean_job.id))
            assert clean_done.state == "succeeded", clean_done.error
            want = snapshot(clean)
        finally:
            clean.close()
    diff = differences(got, want)
    assert not diff, (kills, diff[:20])
    print(f"killed at {', '.join(kills)}; the import took {elapsed:.0f} s with the kills")


def test_a_start_step_redone_after_a_crash_goes_on_with_the_run_it_started(
    tmp_path: Path,
) -> None:
    emu = make_emulator(load_sample_fixture())
    with served(emu) as url:
        svc = sample_services(tmp_path / "home")
        try:
            source = asyncio.run(svc.sources.connect("wiki", url, admin_credential(emu)))
            job = svc.import_job(source, ImportSpec(ImportTarget.space(SPACE)))
            steps = svc.steps()
            planned = asyncio.run(steps.step(job))
            job = svc.store.advance_job(job.id, checkpoint=planned.checkpoint)
            asyncio.run(steps.step(job))  # the run is started; the worker dies before saving
            steps.forget(job.id)
            done = asyncio.run(svc.runner().run_here(job.id))
            assert done.state == "succeeded", done.error
            assert [r.status for r in svc.store.job_imports(job.id)] == ["done"]
        finally:
            svc.close()
