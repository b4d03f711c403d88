"""Jobs through the real CLI: a detached import run by a worker thread, jobs list/show/cancel/
retry, sync and its history, and the scheduler's due syncs."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_kit import TOKEN, make_emulator, served
from jobs_kit import wait_for
from sync_kit import connect, edit, import_space, pages
from typer.testing import CliRunner

from radex.app import build
from radex.cli import app
from radex.cli.jobs import maintain
from radex.config import Settings
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import load_sample_fixture
from radex.confluence.emulator.serve import admin_of


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Emulator, str]]:
    emu = make_emulator(load_sample_fixture(), "cloud")
    with served(emu) as url:
        yield emu, url


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RADEX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RADEX_EMBEDDER", "hashing")
    monkeypatch.setenv("RADEX_CONFLUENCE_RATE", "1000")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(home=tmp_path / "home", embedder="hashing", confluence_rate=1000, **kw)  # type: ignore[arg-type]


def test_detached_import_runs_on_a_worker_and_jobs_tell_about_it(
    cli: Any, site: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, url = site
    email = admin_of(emu).email
    assert cli("connect", "wiki", "--url", url, "--email", email, "--token", TOKEN).exit_code == 0
    queued = cli("import", "space", "ENG", "--detach")
    assert queued.exit_code == 0, queued.output
    assert "queued import job" in queued.output
    listed = json.loads(cli("jobs", "list", "--json").output)
    assert [(j["kind"], j["state"]) for j in listed] == [("import", "queued")]

    svc = build(settings(tmp_path))
    consumer = svc.queue.consumer(1)
    consumer.start()
    try:
        wait_for(lambda: svc.store.job(listed[0]["id"]).final, timeout=60)
    finally:
        consumer.stop(graceful=True)
        svc.close()
    shown = json.loads(cli("jobs", "show", listed[0]["id"][:10], "--json").output)
    assert shown["state"] == "succeeded"
    assert shown["total"] == shown["done"] > 0
    assert shown["failures"] == []
    assert shown["result"]["counts"]["imported"] == shown["total"]
    assert "succeeded" in cli("jobs", "show", listed[0]["id"][:10], "--follow").output

    page = pages(emu, "ENG")[0]
    edit(emu, page, "wombat rota")
    synced = cli("sync")
    assert synced.exit_code == 0, synced.output
    assert "1 updated" in synced.output
    history = json.loads(cli("sync", "history", "--json").output)
    assert history[0]["state"] == "succeeded"
    assert history[0]["params"]["mode"] == "incremental"
    assert "incremental" in cli("sync", "history").output

    nothing = cli("jobs", "cancel", listed[0]["id"])
    assert nothing.exit_code == 2
    assert "already succeeded" in nothing.output
    assert cli("jobs", "show", "0000000000").exit_code == 2
    bad = cli("jobs", "list", "--state", "asleep")
    assert bad.exit_code == 2
    assert "unknown state" in bad.output


def test_a_failed_import_job_is_retried_from_its_checkpoint(
    cli: Any, site: tuple[Emulator, str]
) -> None:
    emu, url = site
    email = admin_of(emu).email
    assert cli("connect", "wiki", "--url", url, "--email", email, "--token", TOKEN).exit_code == 0
    failed = cli("import", "space", "NOPE")
    assert failed.exit_code == 2
    assert "NOPE" in failed.output
    job = json.loads(cli("jobs", "list", "--json").output)[0]
    assert job["state"] == "failed"
    again = cli("jobs", "retry", job["id"])
    assert again.exit_code == 2  # the space is still unknown: the same clear error
    assert json.loads(cli("jobs", "show", job["id"], "--json").output)["attempts"] == 1


def test_due_syncs_are_queued_once_per_interval(site: tuple[Emulator, str], tmp_path: Path) -> None:
    emu, url = site
    svc = build(settings(tmp_path, sync_interval_s=3600))
    try:
        source = connect(svc, emu, url)
        assert svc.due_syncs() == []  # nothing imported yet: nothing to sync
        import_space(svc, source, "ENG")
        first = svc.due_syncs()
        assert [j.kind for j in first] == ["sync"]
        assert svc.due_syncs() == []  # one is queued
        done = asyncio.run(svc.runner().run_here(first[0].id))
        assert done.state == "succeeded"
        assert svc.due_syncs() == []  # it ran less than an hour ago
    finally:
        svc.close()
    off = build(settings(tmp_path, sync_interval_s=0))
    try:
        assert off.due_syncs() == []
    finally:
        off.close()


def test_worker_maintenance_stops_when_asked(tmp_path: Path) -> None:
    svc = build(settings(tmp_path))
    stop = threading.Event()
    keeper = threading.Thread(target=maintain, args=(svc, stop, 0.05))
    keeper.start()
    stop.set()
    keeper.join(5)
    assert not keeper.is_alive()
    svc.close()
