"""Heading-aware chunking: structure kept, budget respected, nothing lost."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radex.errors import InputError
from radex.search.chunking import chunk_markdown, embed_text
from radex.types import Chunk


def words(text: str) -> int:
    """A token counter: one token per whitespace-separated word."""
    return len(text.split())


def subwords(text: str) -> int:
    """A token counter like a WordPiece one: long words cost several tokens."""
    return sum(math.ceil(len(w) / 4) for w in text.split())


def chunk(markdown: str, max_tokens: int = 200, **kw: object) -> list[Chunk]:
    """Chunks of a test document with the breadcrumb ENG › Page."""
    options: dict[str, object] = {
        "breadcrumb": ["ENG", "Page"],
        "anchors": None,
        "max_tokens": max_tokens,
        "count_tokens": words,
    }
    options.update(kw)
    return chunk_markdown("doc", markdown, **options)  # type: ignore[arg-type]


DOC = """Intro before any heading.

# Guide

## Setup

Install the tool.

```bash
# this is a comment, not a heading
make install
```

## Parent

### Child

Child text.

> [!INFO] Careful
>
> Read this first.

<details>
<summary>More</summary>

## not a heading inside details

hidden text
</details>
"""


def test_sections_breadcrumbs_headings_and_anchors() -> None:
    chunks = chunk(DOC, anchors={"Setup": "Setup-anchor", "Child": "Child"})
    assert [c.id for c in chunks] == [f"doc:{i}" for i in range(len(chunks))]
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    first, setup, child = chunks
    assert first.heading is None
    assert first.anchor is None
    assert first.breadcrumb == "ENG › Page"
    assert first.text == "Intro before any heading."
    assert setup.heading == "Setup"
    assert setup.anchor == "Setup-anchor"
    assert setup.breadcrumb == "ENG › Page › Guide › Setup"
    assert "# this is a comment, not a heading" in setup.text  # inside the fence
    assert setup.text.startswith("# Guide\n\n## Setup")  # the empty parent is carried along
    assert child.breadcrumb == "ENG › Page › Guide › Parent › Child"
    assert child.heading == "Child"
    assert child.anchor == "Child"
    assert "> [!INFO] Careful\n>\n> Read this first." in child.text
    assert "## not a heading inside details" in child.text
    for c in chunks:
        assert c.token_count == words(c.embed_text)
        assert c.document_id == "doc"


def test_text_without_headings_and_empty_input() -> None:
    assert chunk("") == []
    assert chunk("   \n\n  \t\n") == []
    only = chunk("just some words\n\nand another paragraph")
    assert len(only) == 1
    assert only[0].heading is None
    assert only[0].text == "just some words\n\nand another paragraph"
    many = chunk(" ".join(f"w{i}" for i in range(100)), max_tokens=20)
    assert len(many) > 1
    assert all(c.heading is None and c.token_count <= 20 for c in many)


def test_heading_markup_is_plain_and_closing_hashes_dropped() -> None:
    chunks = chunk("## **Bold** `code` [link](http://x) \\#1 ##\n\ntext", anchors={})
    assert chunks[0].heading == "Bold code link #1"


def test_anchor_falls_back_to_raw_heading_text() -> None:
    chunks = chunk("# A \\* B\n\ntext", anchors={"A \\* B": "raw"})
    assert chunks[0].anchor == "raw"


def test_table_split_repeats_header() -> None:
    rows = [f"| r{i} | {' '.join(['cell'] * 3)} |" for i in range(30)]
    table = "| name | value |\n|---|---|\n" + "\n".join(rows)
    chunks = chunk("# T\n\n" + table, max_tokens=40)
    assert len(chunks) > 2
    seen = []
    for c in chunks:
        lines = c.text.split("\n")
        body = [ln for ln in lines if ln.startswith("| r")]
        if body:
            first = lines.index(body[0])
            assert lines[first - 2 : first] == ["| name | value |", "|---|---|"]
        seen += body
        assert c.token_count <= 40
    assert seen == rows


def test_code_split_refences_with_the_info_string() -> None:
    code = "\n".join(f"line_{i} = {i}  # comment" for i in range(40))
    chunks = chunk(f"# Code\n\n````python\n{code}\n````", max_tokens=30)
    assert len(chunks) > 2
    got = []
    for c in chunks:
        lines = c.text.split("\n")
        if any(ln.startswith("line_") for ln in lines):
            start = next(i for i, ln in enumerate(lines) if ln.startswith("````"))
            assert lines[start] == "````python"
            assert lines[-1] == "````"
            got += [ln for ln in lines if ln.startswith("line_")]
        assert c.token_count <= 30
    assert got == code.split("\n")


def test_code_block_that_fits_stays_whole() -> None:
    md = "# C\n\n```\na\n# b\nc\n```\n\nafter"
    (only,) = chunk(md)
    assert "```\na\n# b\nc\n```" in only.text


def test_callout_split_repeats_its_kind_line() -> None:
    body = "\n".join(f"> sentence number {i} of the note" for i in range(20))
    chunks = chunk(f"> [!WARNING] Heads up\n{body}", max_tokens=30)
    assert len(chunks) > 1
    assert all(c.text.startswith("> [!WARNING] Heads up") for c in chunks)


def test_long_line_split_by_words_and_giant_word_alone() -> None:
    giant = "x" * 400
    chunks = chunk(f"# H\n\nsmall words {giant} more words", max_tokens=30, count_tokens=subwords)
    texts = [c.text for c in chunks]
    assert any(giant in t for t in texts)
    for c in chunks:
        if c.token_count > 30:
            assert giant in c.text.split()
            assert len(c.text.split()) <= 3  # the giant word, perhaps with its heading line


def test_long_breadcrumb_is_shortened_to_half_the_budget() -> None:
    crumbs = [f"Ancestor number {i}" for i in range(30)]
    chunks = chunk("# Deep\n\nbody text", max_tokens=40, breadcrumb=crumbs)
    assert chunks[0].breadcrumb.startswith("… › ")
    assert chunks[0].breadcrumb.endswith("Deep")
    assert words(chunks[0].breadcrumb) <= 20
    assert chunks[0].token_count <= 40


def test_bad_budget_is_an_input_error() -> None:
    with pytest.raises(InputError, match="max_tokens"):
        chunk("text", max_tokens=0)


def test_deterministic() -> None:
    assert chunk(DOC, max_tokens=15) == chunk(DOC, max_tokens=15)


# ------------------------------------------------------------------ properties

WORD = st.sampled_from(
    ["alpha", "beta", "gamma", "delta", "x" * 60, "#", "|", "-", "`", ">", "q1", "é"]
)
LINE = st.lists(WORD, min_size=1, max_size=12).map(" ".join)


@st.composite
def block(draw: st.DrawFn) -> str:
    """One Markdown block of a random kind."""
    kind = draw(st.sampled_from(["heading", "para", "table", "fence", "callout", "details"]))
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + draw(LINE)
    if kind == "para":
        return "\n".join(draw(st.lists(LINE, min_size=1, max_size=5)))
    if kind == "table":
        rows = draw(st.lists(LINE, min_size=1, max_size=8))
        return "| h1 | h2 |\n|---|---|\n" + "\n".join(f"| {r} | c |" for r in rows)
    if kind == "fence":
        lines = draw(st.lists(st.one_of(LINE, LINE.map(lambda s: "# " + s)), max_size=8))
        return "```py\n" + "\n".join(lines) + "\n```"
    if kind == "callout":
        lines = draw(st.lists(LINE, min_size=1, max_size=5))
        return "> [!NOTE] Title\n" + "\n".join("> " + ln for ln in lines)
    return "<details>\n" + "\n".join(draw(st.lists(LINE, min_size=1, max_size=4))) + "\n</details>"


DOCS = st.lists(block(), max_size=12).map("\n\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown=DOCS, budget=st.integers(12, 80))
def test_property_no_word_lost_and_budget_kept(markdown: str, budget: int) -> None:
    chunks = chunk(markdown, max_tokens=budget, count_tokens=subwords)
    found = {w for c in chunks for w in c.text.split()}
    assert set(markdown.split()) <= found
    assert all(c.text.strip() for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert c.token_count == subwords(embed_text(c.breadcrumb, c.text))
        if c.token_count > budget:
            # only an unbreakable word (with the lines that must wrap it) may overflow
            crumb = subwords(c.breadcrumb)
            big = max(subwords(w) for w in c.text.split())
            assert crumb + big + 12 > budget, (budget, c)


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.lists(WORD.filter(lambda w: len(w) < 10), min_size=1, max_size=6),
        min_size=1,
        max_size=25,
    ),
    budget=st.integers(22, 60),
)
def test_property_table_pieces_keep_the_header(rows: list[list[str]], budget: int) -> None:
    lines = [f"| r{i} | {' '.join(ws)} |" for i, ws in enumerate(rows)]
    markdown = "## Table\n\n| key | val |\n|:--|--:|\n" + "\n".join(lines)
    chunks = chunk(markdown, max_tokens=budget, count_tokens=words)
    got: list[str] = []
    for c in chunks:
        text_lines = c.text.split("\n")
        body = [ln for ln in text_lines if re.match(r"\| r\d+ \|", ln)]
        if body:
            first = text_lines.index(body[0])
            assert text_lines[first - 2 : first] == ["| key | val |", "|:--|--:|"]
            assert c.token_count <= budget
        got += body
    assert got == lines
