"""Fake job handlers and a private redis-server for the job tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from radex.errors import InputError, TransientError
from radex.store.records import JobRecord, JobState
from radex.types import StepOutcome


class CountingHandler:
    """Finishes a job after ``steps`` steps; can fail transiently or for good on the way."""

    def __init__(self, steps: int = 3, *, transient: int = 0, fatal_at: int | None = None) -> None:
        self.steps, self.transient, self.fatal_at = steps, transient, fatal_at
        self.calls = 0
        self.aborted: list[tuple[str, JobState, str | None]] = []

    async def step(self, job: JobRecord) -> StepOutcome:
        """One step: count it in the checkpoint."""
        self.calls += 1
        if self.transient:
            self.transient -= 1
            raise TransientError("Confluence answered 503")
        done = int(job.checkpoint.get("n", 0)) + 1
        if self.fatal_at is not None and done == self.fatal_at:
            raise InputError("the space key is not known")
        return StepOutcome({"n": done}, done >= self.steps, self.steps, done, 0, {"n": done})

    async def abort(self, job: JobRecord, state: JobState, error: str | None) -> None:
        """Remember the abort."""
        self.aborted.append((job.id, state, error))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A private redis-server on loopback (Debian's package); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing: `make test` installs Debian's redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def wait_for(predicate: Any, timeout: float = 20.0, every: float = 0.05) -> None:
    """Wait until ``predicate()`` is true, or fail."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)
