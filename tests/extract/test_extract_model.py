"""The extraction values: Markdown rendering with locator headings, default limits."""

from __future__ import annotations

import pickle

from radex.extract import Extraction, Limits, Section
from radex.extract.model import MIB


def test_located_sections_get_a_level_two_heading() -> None:
    result = Extraction(
        "application/pdf",
        (
            Section("Intro text", locator="page 3"),
            Section("- point", locator="slide 2", heading="Road\nmap"),
            Section("| a |\n| --- |", locator="sheet Budget 2026"),
            Section("Unlocated"),
            Section("", locator="slide 9", heading="Title only"),
        ),
    )
    assert result.to_markdown() == (
        "## Page 3\n\nIntro text\n\n"
        "## Slide 2: Road map\n\n- point\n\n"
        "## Sheet Budget 2026\n\n| a |\n| --- |\n\n"
        "Unlocated\n\n"
        "## Slide 9: Title only\n"
    )
    assert result.chars == len("Intro text- point| a |\n| --- |Unlocated")


def test_empty_extraction_renders_nothing() -> None:
    assert Extraction("image/png", ()).to_markdown() == ""


def test_default_limits() -> None:
    limits = Limits()
    assert (limits.max_bytes, limits.max_unzipped_bytes) == (50 * MIB, 200 * MIB)
    assert (limits.max_pages, limits.max_slides, limits.max_sheets) == (2000, 1000, 50)
    assert (limits.max_chars, limits.max_rows_per_sheet) == (5_000_000, 5000)
    assert (limits.timeout_s, limits.max_ratio) == (60.0, 100)


def test_values_are_picklable_for_the_child_process() -> None:
    result = Extraction("text/plain", (Section("x"),), warnings=("w",))
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes
