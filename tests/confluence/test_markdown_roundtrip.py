"""Property tests for write-back: random GFM converts to valid storage format, keeps its words,
and reaches a fixed point after one trip (md -> storage -> md is stable for converter output)."""

from __future__ import annotations

import re

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from radex.confluence.markdown import markdown_to_storage
from radex.confluence.storage import storage_to_markdown
from radex.confluence.storage.parse import parse_storage

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_RENDER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_RENDER.options["tasklists"] = True
_WORD = re.compile(r"[^\W_]+")
_LETTERS = st.text(
    st.sampled_from(list("abcdefghijklmnopqrstuvwxyzÉñ0123456789")), min_size=1, max_size=8
)
_PUNCT = st.sampled_from(
    ["", "", "", ".", ",", "!", "?", ":", "*", "_", "#", "|", "<", "&", "\\", "~", "`"]
)


@st.composite
def words(draw: st.DrawFn) -> str:
    """A few words, some with Markdown-significant punctuation next to them."""
    parts = draw(st.lists(st.tuples(_LETTERS, _PUNCT), min_size=1, max_size=5))
    return " ".join(word + punct for word, punct in parts).strip()


@st.composite
def inline(draw: st.DrawFn) -> str:
    """A run of inline Markdown."""
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 9))
        w = draw(_LETTERS)
        pieces.append(
            [
                draw(words()),
                f"*{w}*",
                f"**{w}**",
                f"~~{w}~~",
                f"`{w}`",
                f"[{w}](https://example.com/{w})",
                f"![{w}]({w}.png)",
                f"@user:{w}",
                f"**[{w.upper()}]**",
                f"[{w}](/display/ENG/{w})",
            ][kind]
        )
    return " ".join(pieces)


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> str:
    """One GFM block; containers nest up to two levels."""
    kinds = ["p", "h", "code", "hr", "table"] + (
        ["ul", "ol", "tasks", "quote", "callout", "details"] if depth < 2 else []
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "p":
        return draw(inline())
    if kind == "h":
        return "#" * draw(st.integers(1, 6)) + " " + draw(inline())
    if kind == "code":
        lang = draw(st.sampled_from(["", "python", "js", "sql"]))
        return f"```{lang}\n{draw(words())}\n  {draw(words())}\n```"
    if kind == "hr":
        return "---"
    if kind == "table":
        cols = draw(st.integers(1, 3))
        head = "| " + " | ".join(draw(_LETTERS) for _ in range(cols)) + " |"
        rows = [
            "| " + " | ".join(draw(inline()).replace("|", "") for _ in range(cols)) + " |"
            for _ in range(draw(st.integers(1, 3)))
        ]
        return "\n".join([head, "|" + " --- |" * cols, *rows])
    inner = "\n\n".join(draw(st.lists(block(depth + 1), min_size=1, max_size=2)))
    if kind in ("ul", "ol", "tasks"):
        items = []
        for i in range(draw(st.integers(1, 3))):
            marker = {"ul": "-", "ol": f"{i + 1}.", "tasks": "- [x]" if i % 2 else "- [ ]"}[kind]
            pad = " " * (len(marker) + 1 if kind != "tasks" else 2)
            text = draw(inline()) if draw(st.booleans()) else inner
            lines = text.split("\n")
            items.append(
                marker + " " + "\n".join([lines[0]] + [pad + x if x else "" for x in lines[1:]])
            )
        return "\n".join(items)
    if kind == "quote":
        return "\n".join("> " + x if x else ">" for x in inner.split("\n"))
    if kind == "callout":
        name = draw(st.sampled_from(["INFO", "NOTE", "WARNING", "TIP", "PANEL"]))
        body = "\n".join("> " + x if x else ">" for x in inner.split("\n"))
        return f"> [!{name}] {draw(_LETTERS)}\n>\n{body}"
    return f"<details>\n<summary>{draw(_LETTERS)}</summary>\n\n{inner}\n\n</details>"


DOCUMENTS = st.lists(block(), min_size=1, max_size=4).map(lambda bs: "\n\n".join(bs) + "\n")


def rendered_words(markdown: str) -> set[str]:
    html = _RENDER.render(markdown).replace("<br>", " <br>")
    if not html.strip():
        return set()
    text = lxml.html.fromstring(f"<div>{html}</div>").text_content()
    return set(_WORD.findall(text.lower()))


@SETTINGS
@given(DOCUMENTS)
def test_random_gfm_writes_valid_storage_and_keeps_words(markdown: str) -> None:
    storage = markdown_to_storage(markdown)
    parsed = parse_storage(storage, max_chars=10**8)
    assert not parsed.recovered, storage
    back = storage_to_markdown(storage).markdown
    source_words = rendered_words(markdown.replace("[[_TOC_]]", ""))
    missing = source_words - rendered_words(back) - {"user"}
    assert not missing, (missing, back)


@SETTINGS
@given(DOCUMENTS)
def test_random_gfm_reaches_a_fixed_point_after_one_trip(markdown: str) -> None:
    first = storage_to_markdown(markdown_to_storage(markdown)).markdown
    second = storage_to_markdown(markdown_to_storage(first)).markdown
    assert second == first
