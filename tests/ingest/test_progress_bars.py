"""The import progress bars: counts and totals as a user reads them."""

from __future__ import annotations

import io
from contextlib import nullcontext

import pytest
from rich.console import Console

from radex.cli.progress import RichImportProgress


def drawn(steps: list[tuple[str, str, int]], fail: bool = False) -> dict[str, str]:
    """The final line of each bar (by label) after ``steps`` of (method, stage, n)."""
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    broken = pytest.raises(RuntimeError) if fail else nullcontext()
    with broken, RichImportProgress(console) as bars:
        for method, stage, n in steps:
            getattr(bars, method)(stage, n)
        if fail:
            raise RuntimeError("the import broke")
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return {line[:16].strip(): line[16:] for line in lines[-4:]}


def count(line: str) -> str:
    return next(word for word in line.split() if "/" in word and not word.endswith("/s"))


def test_totals_grow_with_what_is_expected_and_empty_stages_read_zero_of_zero() -> None:
    bars = drawn(
        [
            ("total", "listed", 0),  # the listing starts empty, then grows
            ("total", "listed", 3),
            ("advance", "listed", 3),
            ("expect", "fetched", 0),  # a batch with nothing to fetch
            ("expect", "fetched", 2),
            ("advance", "fetched", 1),
            ("advance", "fetched", 1),
            ("expect", "embedded", 1),
            ("expect", "embedded", 1),
            ("advance", "embedded", 2),
        ]
    )
    assert count(bars["pages listed"]) == "3/3"
    assert count(bars["pages fetched"]) == "2/2"
    assert count(bars["pages converted"]) == "0/0"  # nothing reached it: nothing to do
    assert count(bars["items embedded"]) == "2/2"


def test_a_failed_import_leaves_unknown_totals_unknown() -> None:
    bars = drawn([("total", "listed", 5), ("advance", "listed", 2)], fail=True)
    assert count(bars["pages listed"]) == "2/5"
    assert count(bars["pages fetched"]) == "0/?"
