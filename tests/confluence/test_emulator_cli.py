"""`radex emulator serve` starts a real server on loopback and prints how to reach it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from radex.cli import app

RADEX = Path(sys.executable).with_name("radex")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [str(RADEX), "emulator", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    assert proc.stdout is not None
    while len(lines) < 4:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if "Ctrl-C" in line:
            break
    return proc, lines


def wait_ready(
    url: str, auth: tuple[str, str] | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    deadline = time.monotonic() + 15
    while True:
        try:
            return httpx.get(url, auth=auth, headers=headers, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_cloud_generated_site_with_chosen_credential() -> None:
    port = free_port()
    proc, lines = serve(
        "--flavor",
        "cloud",
        "--port",
        str(port),
        "--pages",
        "120",
        "--seed",
        "3",
        "--user",
        "ops@example.com",
        "--token",
        "t0ken",
    )
    try:
        assert lines[0] == f"Confluence cloud emulator at http://127.0.0.1:{port}/wiki"
        assert "ops@example.com" in lines[1]
        assert "t0ken" in lines[1]
        resp = wait_ready(
            f"http://127.0.0.1:{port}/wiki/api/v2/spaces?keys=ENG",
            auth=("ops@example.com", "t0ken"),
        )
        assert resp.status_code == 200
        eng = resp.json()["results"][0]
        assert eng["key"] == "ENG"
    finally:
        stop(proc)


def test_dc_with_context_path_prints_pat() -> None:
    port = free_port()
    proc, lines = serve("--flavor", "dc", "--port", str(port), "--context-path", "/confluence")
    try:
        assert lines[0] == f"Confluence dc emulator at http://127.0.0.1:{port}/confluence"
        match = re.search(r"username (\S+)\s+personal access token (\S+)", lines[1])
        assert match, lines
        resp = wait_ready(
            f"http://127.0.0.1:{port}/confluence/rest/api/space",
            headers={"Authorization": f"Bearer {match.group(2)}"},
        )
        assert resp.status_code == 200
        assert resp.json()["_links"]["context"] == "/confluence"
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flavor", "server"], "--flavor must be cloud or dc"),
        (["--faults", "boom:0.5"], "unknown fault kind 'boom'"),
        (["--pages", "0"], "--pages must be at least 1"),
        (["--rate-limit", "lots"], "is not CAPACITY:FILL_RATE"),
        (["--fixture", "/nonexistent/site.yaml"], "cannot read fixture"),
    ],
)
def test_bad_options_are_explained(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["emulator", "serve", *args])
    assert result.exit_code == 2
    assert message in result.output
