"""Importing a generated space end to end: time per stage, pages/s, chunks/s; and peak RSS of
the importing process at two space sizes.

The emulator runs in its own process (``radex emulator serve --pages N``), so its memory and
CPU are not the importer's. Each import runs in a fresh child process with an empty RADEX home,
which reports its own peak RSS (``VmHWM``), and its RSS before the import, when the listing is
done and when the diff is done (seen through the import's ``Progress``), so that the growth can
be told apart by phase; with the hashing embedder, also how many entries its feature cache holds.

Run: ``.venv/bin/python -m bench.bench_import [--pages 2000] [--embedder minilm|hashing]
[--rss 1000,10000] [--rss-embedder hashing|minilm]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TOKEN = "bench-token"
PHASES = ("start", "listed", "diffed")  # where the child notes its RSS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def emulator(pages: int, latency_ms: float) -> Iterator[str]:
    """A generated site of ``pages`` pages in ENG, served by a separate process."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "radex.cli", "emulator", "serve", "--pages", str(pages),
        "--port", str(port), "--token", TOKEN, "--seed", "7", "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"emulator did not start: {err}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/wiki"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` figure (``VmRSS``, ``VmHWM``, ...) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


class _PhaseRss:
    """An import Progress that notes the RSS when the listing and the first diff are done (the
    importer sets the ``listed`` total after the listing, expects ``fetched`` after a diff)."""

    def __init__(self) -> None:
        self.rss: dict[str, float] = {}

    def total(self, stage: str, total: int) -> None:
        self._note(stage)

    def expect(self, stage: str, n: int) -> None:
        self._note(stage)

    def _note(self, stage: str) -> None:
        key = {"listed": "listed", "fetched": "diffed"}.get(stage)
        if key is not None and key not in self.rss:
            self.rss[key] = _status_mb("VmRSS")

    def advance(self, stage: str, n: int = 1) -> None:
        pass


def child(url: str, home: str, embedder: str) -> dict[str, Any]:
    """Connect and import ENG in this process; return figures (run with ``--child``)."""
    from radex.app import build
    from radex.config import Settings
    from radex.confluence.auth import ApiToken
    from radex.ingest.plan import ImportTarget

    svc = build(Settings(home=Path(home), embedder=embedder))  # type: ignore[arg-type]
    svc.embedder.embed_query("warm up")  # load the model before the clock starts
    phases = _PhaseRss()

    async def go() -> dict[str, Any]:
        source = await svc.sources.connect("bench", url, ApiToken("admin@example.com", TOKEN))
        async with svc.sources.open(source) as client:
            phases.rss["start"] = _status_mb("VmRSS")
            started = time.perf_counter()
            importer = svc.importer(source, client, progress=phases)
            report = await importer.run(ImportTarget.space("ENG"))
            wall = time.perf_counter() - started
        return {"wall": wall, "counts": dict(report.run.counts), "timings": report.timings,
                "failures": len(report.failures)}  # fmt: skip

    figures = asyncio.run(go())
    svc.close()
    figures["peak_rss_mb"] = _status_mb("VmHWM")
    figures["phase_rss_mb"] = phases.rss
    if embedder == "hashing":  # its feature cache grows with the vocabulary, up to its maxsize
        from radex.embed import hashing

        figures["hash_cache"] = hashing._bucket.cache_info().currsize
    return figures


def run_import(url: str, embedder: str) -> dict[str, Any]:
    """One import in a fresh child process with an empty home."""
    with tempfile.TemporaryDirectory() as home:
        cmd = [sys.executable, "-m", "bench.bench_import", "--child", url, home, embedder]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ)
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Parse options, run the benchmarks, print Markdown tables."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:5])))
        return
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--embedder", default="minilm", choices=["minilm", "hashing"])
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--rss", default="1000,10000", help="space sizes for the RSS comparison")
    ap.add_argument("--rss-embedder", default="hashing", choices=["minilm", "hashing"])
    ap.add_argument("--skip-stages", action="store_true")
    args = ap.parse_args()

    if not args.skip_stages:
        with emulator(args.pages, args.latency_ms) as url:
            f = run_import(url, args.embedder)
        c, t = f["counts"], f["timings"]
        print(f"\nImport of {args.pages} pages ({args.embedder}), wall {f['wall']:.1f} s, "
              f"{f['failures']} failed")  # fmt: skip
        print("| pages | chunks | wall (s) | pages/s | chunks/s | peak RSS (MB) |")
        print("|---:|---:|---:|---:|---:|---:|")
        wall = f["wall"]
        print(f"| {c['imported']} | {c['chunks']} | {wall:.1f} | {c['imported'] / wall:.1f} "
              f"| {c['chunks'] / wall:.1f} | {f['peak_rss_mb']:.0f} |")  # fmt: skip
        print("\n| stage | busy seconds |\n|---|---:|")
        for stage in ("list", "diff", "fetch", "convert", "embed", "save"):
            print(f"| {stage} | {t.get(stage, 0.0):.2f} |")

    sizes = [int(s) for s in args.rss.split(",") if s]
    if len(sizes) >= 2:
        rows = []
        for n in sizes:
            with emulator(n, 0.0) as url:
                rows.append((n, run_import(url, args.rss_embedder)))
        base = rows[0][1]["peak_rss_mb"]
        print(f"\nPeak RSS of the importing process ({args.rss_embedder} embedder)")
        print("| pages | chunks | wall (s) | RSS at start / listed / diffed (MB) "
              "| peak RSS (MB) | vs smallest |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|")
        for n, f in rows:
            ph = f["phase_rss_mb"]
            at = " / ".join(f"{ph[k]:.0f}" if k in ph else "–" for k in PHASES)
            print(f"| {n} | {f['counts']['chunks']} | {f['wall']:.1f} | {at} "
                  f"| {f['peak_rss_mb']:.0f} | {f['peak_rss_mb'] / base:.2f}× |")  # fmt: skip
        if all("hash_cache" in f for _, f in rows):
            cached = ", ".join(f"{n}: {f['hash_cache']:,}" for n, f in rows)
            print(f"\nHashing embedder feature-cache entries at the end ({cached})")


if __name__ == "__main__":
    main()
