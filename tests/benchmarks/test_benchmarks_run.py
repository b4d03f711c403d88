"""Every benchmark under ``bench/`` still runs end to end, at a size that takes seconds.

The figures are not checked (speed is measured by the benchmarks themselves, never by tests);
what is checked is that each one finishes, exits 0 and prints its table, so a change to the
code it drives cannot leave it broken until someone next measures. The tools they compare with
come from the bench extra (``make bench``); without them RADEX is measured alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RUNS = {
    "client": (["--pages", "30", "--latency-ms", "0"], "pages"),
    "convert": (["--pages", "8", "--repeats", "1"], "RADEX"),
    "embed": (["--passages", "4", "--repeats", "1"], "RADEX MiniLMEmbedder"),
    "extract": (["--repeats", "1", "--scale", "0.02"], "isolated ms"),
    "import": (
        ["--pages", "40", "--embedder", "hashing", "--rss", "20,40"],
        "Peak RSS of the importing process",
    ),
    "query": (["--sizes", "400", "--queries", "12", "--acl-size", "1000"], "hybrid + Acl"),
    "sync": (["--pages", "60", "--changed", "2", "--rounds", "1", "--reloads", "1"], "steady"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_benchmark_runs(name: str) -> None:
    args, expected = RUNS[name]
    done = subprocess.run(
        [sys.executable, "-m", f"bench.bench_{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    output = f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert done.returncode == 0, f"bench_{name} failed:\n{output}"
    assert expected in done.stdout, done.stdout[-2000:]


def test_every_benchmark_is_run_here() -> None:
    present = {p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py")}
    assert present == set(RUNS)
