"""Processes for the end-to-end job tests: an emulated site in a process of its own, `radex
worker` processes to start and kill, and what a knowledge base holds, to compare.

Run as a script (``python e2e_kit.py '<SiteSpec as JSON>'``) it serves the site on a free
loopback port and prints its base URL on the first line of its output.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from radex.app import Services, build
from radex.config import Settings
from radex.confluence.auth import ApiToken, Credential, PersonalAccessToken
from radex.confluence.emulator import EmulatorConfig, FaultSpec, build_site, create_emulator
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.emulator.model import Content, Flavor
from radex.confluence.emulator.serve import admin_of, base_url
from radex.store.records import JobRecord, SourceRecord

TOKEN = "e2e-admin-token"
SPACE = "ENG"
RADEX_ENV_PREFIXES = ("RADEX_", "CONFLUENCE_")  # what a developer's shell may set


@dataclass(frozen=True)
class SiteSpec:
    """A generated site and how its emulator misbehaves; the same spec, the same site (ids
    included) in every process."""

    pages: int
    seed: int
    flavor: Flavor = "cloud"
    faults: str = ""
    fault_timeout_s: float = 10.0
    attachments: int | None = None  # keep the attachments of this many pages only

    def to_json(self) -> str:
        """The spec as the script's argument."""
        return json.dumps(asdict(self))


def build_emulator(spec: SiteSpec) -> Emulator:
    """The emulator of a spec, its admin logging in with TOKEN."""
    fixture = generate_fixture(spec.pages, seed=spec.seed)
    if spec.attachments is not None:
        _keep_attachments(fixture, spec.attachments)
    login = "admin@example.com" if spec.flavor == "cloud" else "admin"
    site = build_site(fixture, flavor=spec.flavor, seed=spec.seed, admin=(login, TOKEN))
    config = EmulatorConfig(
        flavor=spec.flavor,
        faults=FaultSpec.parse(spec.faults),
        fault_seed=spec.seed,
        fault_timeout_s=spec.fault_timeout_s,
    )
    return create_emulator(site, config)


def _keep_attachments(fixture: dict[str, Any], pages: int) -> None:
    """Drop the attachments of all but the first ``pages`` pages that have some."""
    kept = 0
    todo = [p for s in fixture["spaces"] for p in (*s.get("pages", ()), *s.get("blogposts", ()))]
    while todo:
        page = todo.pop(0)
        todo.extend(page.get("children", ()))
        if page.get("attachments"):
            if kept >= pages:
                del page["attachments"]
            kept += 1


def credential(spec: SiteSpec, emu: Emulator) -> Credential:
    """The site admin's credential."""
    if spec.flavor == "cloud":
        return ApiToken(admin_of(emu).email, TOKEN)
    return PersonalAccessToken(TOKEN)


def current(emu: Emulator, space: str = SPACE) -> list[Content]:
    """What an import of the space brings in: its current pages and blog posts, and their
    attachments and comments."""
    site = emu.site
    held = {
        c.id
        for c in site.content.values()
        if c.space_key == space and c.type in ("page", "blogpost") and c.status == "current"
    }
    return [
        c
        for c in site.content.values()
        if c.status == "current" and (c.id in held or (c.parent_id in held and c.type in EXTRAS))
    ]


EXTRAS = ("attachment", "comment")


# ---- the emulator's process ---------------------------------------------------------------------


@contextmanager
def emulator_process(spec: SiteSpec, log: Path) -> Iterator[str]:
    """Serve the spec's site from a process of its own on loopback; yields its base URL."""
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, __file__, spec.to_json()],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=_clean_env(),
        )
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            if not url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"the emulator did not start: {log.read_text()[-2000:]}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def main(argv: list[str]) -> None:
    """Serve a spec's site until terminated (the emulator's process)."""
    import uvicorn

    spec = SiteSpec(**json.loads(argv[0]))
    emu = build_emulator(spec)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = int(sock.getsockname()[1])
    emu.webhooks.base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(emu.app, log_level="warning", access_log=False, lifespan="off")
    )
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    print(base_url(emu, "127.0.0.1", port), flush=True)
    server.run(sockets=[sock])


# ---- RADEX --------------------------------------------------------------------------------------


def settings(home: Path) -> dict[str, str]:
    """The test's RADEX settings, as a worker's environment has them: a hashing embedder, no
    client rate limit, a short job lease, no scheduled syncs."""
    return {
        "RADEX_HOME": str(home),
        "RADEX_EMBEDDER": "hashing",
        "RADEX_CONFLUENCE_RATE": "1000",
        "RADEX_JOB_LEASE_S": "5",
        "RADEX_SYNC_INTERVAL": "0",
    }


def services(home: Path) -> Services:
    """RADEX services in ``home`` with the settings a worker there gets."""
    cfg = settings(home)
    return build(
        Settings(
            home=home,
            embedder="hashing",
            confluence_rate=float(cfg["RADEX_CONFLUENCE_RATE"]),
            job_lease_s=float(cfg["RADEX_JOB_LEASE_S"]),
            sync_interval_s=float(cfg["RADEX_SYNC_INTERVAL"]),
        )
    )


def connect(svc: Services, spec: SiteSpec, emu: Emulator, url: str) -> SourceRecord:
    """Connect the served site as source ``wiki``."""
    return asyncio.run(svc.sources.connect("wiki", url, credential(spec, emu)))


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(RADEX_ENV_PREFIXES)}
    return {**env, **(extra or {})}


class Worker:
    """`radex worker` processes on one home, one at a time."""

    def __init__(self, home: Path, log: Path) -> None:
        self.home, self.log = home, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0
        self._out: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        """The running worker's process id."""
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        """Start a worker (its output goes to the log)."""
        assert self.proc is None
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "radex.cli", "worker"],
            cwd=self.home,  # no developer's .env
            env=_clean_env(settings(self.home)),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started += 1

    def kill(self) -> None:
        """SIGKILL the worker, and wait for it to be gone."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._done()

    def stop(self) -> None:
        """Stop the worker (SIGTERM; SIGKILL if it does not go)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._done()

    def _done(self) -> None:
        assert self.proc is not None
        with suppress(ProcessLookupError):  # what it started and left behind (its session)
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None


def wait_for(what: str, predicate: Callable[[], bool], timeout: float, every: float = 0.02) -> None:
    """Wait until ``predicate()`` holds, or fail saying what was waited for."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def position(job: JobRecord) -> int:
    """How far an import job is, in steps: 0 planning, 1 starting, 2 listing, 3 + n batch n,
    then its extras; a large number once it is past them."""
    cp = job.checkpoint
    if "stages" not in cp:
        return 0
    if cp["i"] >= len(cp["stages"]):
        return 1 << 20
    phase = cp.get("phase")
    if phase is None:
        return 1
    if phase == "list":
        return 2
    if phase == "batch":
        return 3 + int(cp["batch"])
    return 3 + int(cp["batches"])


# ---- what a knowledge base holds ----------------------------------------------------------------


def index_disagreements(svc: Services) -> list[str]:
    """Where the search index and the store disagree: documents one has and the other not, and
    chunks (ids and texts) of each document; empty when they agree."""
    db = svc.index._db  # type: ignore[attr-defined]
    indexed_docs = {r[0] for r in db.execute("SELECT document_id FROM documents")}
    chunks: dict[str, list[tuple[str, str]]] = {}
    for doc_id, chunk_id, text in db.execute(
        "SELECT document_id, chunk_id, text FROM chunks ORDER BY document_id, ordinal"
    ):
        chunks.setdefault(doc_id, []).append((chunk_id, text))
    stored = {d.id: d for d in svc.store.documents()}
    out = [f"indexed, not stored: {d}" for d in sorted(indexed_docs - stored.keys())]
    out += [
        f"stored, not indexed: {stored[d].external_id}"
        for d in sorted(stored.keys() - indexed_docs)
    ]
    for doc_id, doc in stored.items():
        want = [(c.id, c.text) for c in svc.store.chunks(doc_id)]
        vectors = svc.store.chunk_vectors(doc_id, svc.embedder.model_id)
        if not want:
            out.append(f"{doc.external_id}: no chunks")
        if chunks.get(doc_id, []) != want:
            out.append(f"{doc.external_id}: the index has other chunks than the store")
        if vectors is None or len(vectors) != len(want):
            out.append(f"{doc.external_id}: {0 if vectors is None else len(vectors)} vectors")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
