"""The HTTP API in process (ASGI): health, jobs, sync, and the webhook receiver's checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from radex.api import create_api
from radex.app import Services, build
from radex.config import Settings
from radex.confluence.webhooks import sign_dc
from radex.store.records import SourceRecord

SECRET = "hook-secret"


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    s = build(Settings(home=tmp_path / "home", embedder="hashing", webhook_secret=SECRET))  # type: ignore[arg-type]
    yield s
    s.close()


@pytest.fixture
def client(svc: Services) -> TestClient:
    return TestClient(create_api(svc))


def add_source(svc: Services, deployment: str = "dc") -> SourceRecord:
    ciphertext, key_id = svc.vault.encrypt(json.dumps({"token": "x"}).encode())
    return svc.store.add_source(
        "wiki",
        deployment,  # type: ignore[arg-type]
        "http://127.0.0.1:9",
        "pat",
        ciphertext,
        key_id,
        (),
    )


def test_health_and_empty_jobs(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert client.get("/api/v1/jobs").json() == []
    missing = client.get("/api/v1/jobs/ffffffffffff")
    assert missing.status_code == 404
    assert "no job" in missing.json()["error"]
    assert client.get("/api/v1/jobs", params={"state": "sleeping"}).status_code == 400


def test_sync_is_queued_and_can_be_cancelled(client: TestClient, svc: Services) -> None:
    add_source(svc)
    queued = client.post("/api/v1/sources/wiki/sync", json={"mode": "full"})
    assert queued.status_code == 202
    job = queued.json()
    assert job["kind"] == "sync"
    assert job["state"] == "queued"
    assert client.get(f"/api/v1/jobs/{job['id']}").json()["id"] == job["id"]
    assert client.post(f"/api/v1/jobs/{job['id']}/cancel").json()["state"] == "cancelled"
    assert client.post("/api/v1/sources/nowhere/sync").status_code == 404
    bad = client.post("/api/v1/sources/wiki/sync", json={"mode": "sideways"})
    assert bad.status_code == 422


def test_webhook_checks_the_signature_and_queues_a_targeted_sync(
    client: TestClient, svc: Services
) -> None:
    add_source(svc)
    body = json.dumps({"timestamp": 1, "event": "page_updated", "page": {"id": 42}}).encode()
    url = "/api/v1/webhooks/confluence/wiki"
    unsigned = client.post(url, content=body)
    assert unsigned.status_code == 401
    forged = client.post(url, content=body, headers={"X-Hub-Signature": sign_dc(body, "guess")})
    assert forged.status_code == 401
    ok = client.post(url, content=body, headers={"X-Hub-Signature": sign_dc(body, SECRET)})
    assert ok.status_code == 202
    job = ok.json()["queued"]
    assert job["kind"] == "sync"
    assert svc.store.job(job["id"]).params["ids"] == ["42"]
    again = client.post(url, content=body, headers={"X-Hub-Signature": sign_dc(body, SECRET)})
    assert again.json()["queued"]["id"] == job["id"]  # the same content still waiting: reused
    junk = b"not json"
    bad = client.post(url, content=junk, headers={"X-Hub-Signature": sign_dc(junk, SECRET)})
    assert bad.status_code == 400


def test_cloud_webhooks_need_the_app_secret(client: TestClient, svc: Services) -> None:
    add_source(svc, "cloud")
    got = client.post("/api/v1/webhooks/confluence/wiki", content=b"{}")
    assert got.status_code == 503
    assert "RADEX_CONNECT_SHARED_SECRET" in got.json()["error"]
