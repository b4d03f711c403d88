"""Webhooks end to end: the emulator (Data Center and Cloud) sends signed deliveries to a real
`radex serve` process, which queues a targeted sync that its job thread runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ingest_kit import make_emulator, served, services
from jobs_kit import free_port, wait_for
from sync_kit import connect, edit, import_space, pages

from radex.confluence.emulator import AppWebhook, ops
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import load_sample_fixture
from radex.confluence.emulator.serve import admin_of

SECRET = "a-shared-secret-of-at-least-32-bytes"


@pytest.fixture(params=["dc", "cloud"])
def emu_url(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, str]]:
    emu = make_emulator(load_sample_fixture(), request.param)
    with served(emu) as url:
        yield emu, url


def start_serve(home: Path, port: int, client_key: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RADEX_HOME": str(home),
        "RADEX_EMBEDDER": "hashing",
        "RADEX_CONFLUENCE_RATE": "1000",
        "RADEX_SYNC_INTERVAL": "0",
        "RADEX_LIVE_PERMISSION_CHECK": "false",
        "RADEX_WEBHOOK_SECRET": SECRET,
        "RADEX_CONNECT_SHARED_SECRET": SECRET,
        "RADEX_CONNECT_CLIENT_KEY": client_key,
    }
    cmd = [sys.executable, "-m", "radex.cli", "serve", "--port", str(port), "--workers", "1"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def jobs(base: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{base}/api/v1/jobs", timeout=5).json())


def synced(base: str) -> int:
    return sum(j["kind"] == "sync" and j["state"] == "succeeded" for j in jobs(base))


def up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_an_edit_and_a_trash_reach_radex_through_webhooks(
    emu_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, url = emu_url
    home = tmp_path / "home"
    svc = services(home)
    try:
        source = connect(svc, emu, url)
        import_space(svc, source, "ENG")
    finally:
        svc.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    receiver = f"{base}/api/v1/webhooks/confluence/wiki"
    if emu.config.flavor == "dc":
        emu.webhooks.register(
            name="radex", url=receiver, events=["page_updated", "page_trashed"], secret=SECRET
        )
        client_key = ""
    else:
        hook = AppWebhook(receiver, SECRET, frozenset({"page_updated", "page_trashed"}))
        emu.webhooks.add_app(hook)
        client_key = emu.webhooks.issuer(hook)
    proc = start_serve(home, port, client_key)
    try:
        wait_for(lambda: up(base), timeout=30)
        edited, trashed = pages(emu, "ENG")[2], pages(emu, "ENG")[5]
        edit(emu, edited, "pangolin logistics")
        wait_for(lambda: synced(base) == 1, timeout=60)
        ops.trash(emu.site, admin_of(emu), trashed)
        wait_for(lambda: synced(base) == 2, timeout=60)
        assert emu.webhooks.flush(5)
        statuses = [d.status for d in emu.webhooks.deliveries]
        assert statuses, "no delivery was attempted"
        assert all(s == 202 for s in statuses), emu.webhooks.deliveries
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    svc = services(home)
    try:
        doc = svc.store.document(source.id, edited.id)
        assert doc is not None
        assert doc.version == edited.version
        assert "pangolin logistics" in "".join(c.text for c in svc.store.chunks(doc.id))
        assert svc.store.document(source.id, trashed.id) is None
        syncs = svc.store.jobs(kind="sync")
        assert sorted(tuple(j.params["ids"]) for j in syncs) == sorted(
            [(edited.id,), (trashed.id,)]
        ), stderr.decode()[-2000:]
    finally:
        svc.close()
