"""Hybrid retrieval over a real SQLite index with the hashing embedder."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radex.embed.hashing import HashingEmbedder
from radex.errors import InputError
from radex.index import IndexDoc, IndexedChunk, SearchIndex, SqliteIndex, StoredChunk
from radex.index.base import Vector
from radex.search.chunking import chunk_markdown
from radex.search.retriever import (
    _NOT_PROSE,
    _NOT_PROSE_PAIRS,
    _STRIP,
    Retriever,
    _term_hits,
    _terms_pattern,
    plain,
    snippet,
)
from radex.types import Acl, Principal, SearchFilters

EMBEDDER = HashingEmbedder(dim=128)
BOB = Principal("user", "bob")
FINANCE = Principal("group", "finance")
SECRET = Acl.of([[FINANCE]])
PUBLIC = Acl.public()

RUNBOOK = """# Runbook

Start here.

## Restart the billing service

Run `make restart SERVICE=billing` and watch the **error rate** dashboard.

## Rotate keys

Rotate the billing keys every quarter with the vault tool.
"""

SALARIES = """# Salaries

## Bands

The salary bands for billing engineers are confidential: zebracorn scale applies.
"""


def add(index: SearchIndex, doc_id: str, markdown: str, acl: Acl = PUBLIC) -> None:
    """Chunk, embed and index a Markdown document (anchors: heading text with dashes)."""
    chunks = chunk_markdown(
        doc_id,
        markdown,
        breadcrumb=["ENG", doc_id],
        anchors={h: "-".join(h.split()) for h in ("Restart the billing service", "Rotate keys")},
        max_tokens=60,
        count_tokens=EMBEDDER.count_tokens,
    )
    vectors = EMBEDDER.embed([c.embed_text for c in chunks])
    doc = IndexDoc(doc_id, f"x-{doc_id}", doc_id.title(), f"https://wiki/{doc_id}", acl, "ENG")
    indexed = [IndexedChunk(c, v) for c, v in zip(chunks, vectors, strict=True)]
    index.replace_document(doc, indexed, EMBEDDER.model_id)


@pytest.fixture(params=[True, False], ids=["memory", "fts5"])
def index(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SqliteIndex]:
    """The two documents indexed, the keyword leg in memory or on FTS5."""
    idx = SqliteIndex(tmp_path / "r.db", keyword_memory=request.param)
    add(idx, "runbook", RUNBOOK)
    add(idx, "salaries", SALARIES, SECRET)
    yield idx
    idx.close()


def test_finds_the_section_with_a_deep_link(index: SqliteIndex) -> None:
    hits = Retriever(index, EMBEDDER).search("how do I restart billing", [BOB])
    assert hits[0].document_id == "runbook"
    assert hits[0].heading == "Restart the billing service"
    assert hits[0].url == "https://wiki/runbook#Restart-the-billing-service"
    assert hits[0].external_id == "x-runbook"
    assert hits[0].title == "Runbook"
    assert "make restart SERVICE=billing" in hits[0].snippet
    assert "**" not in hits[0].snippet
    assert "`" not in hits[0].snippet
    assert hits[0].score > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("parallel", [False, True])
def test_restricted_document_never_reaches_an_outsider(index: SqliteIndex, parallel: bool) -> None:
    retriever = Retriever(index, EMBEDDER, parallel=parallel)
    for query in ("zebracorn", "salary bands billing engineers", "billing"):
        hits = retriever.search(query, [BOB], k=20)
        assert all(h.document_id != "salaries" for h in hits)
        assert all("zebracorn" not in h.snippet + h.text for h in hits)
    assert retriever.dropped == 0  # the pre-filter already kept it out
    insider = retriever.search("zebracorn", [FINANCE])
    assert insider[0].document_id == "salaries"
    assert "zebracorn" in insider[0].snippet
    retriever.close()


def test_permission_refresh_applies_at_once(index: SqliteIndex) -> None:
    retriever = Retriever(index, EMBEDDER)
    assert retriever.search("zebracorn", [FINANCE])[0].document_id == "salaries"
    index.update_acl("salaries", Acl.of([[Principal("group", "hr")]]))
    assert all(h.document_id != "salaries" for h in retriever.search("zebracorn", [FINANCE]))


class LeakyIndex(SearchIndex):
    """An index whose legs ignore permissions (a bug the re-check must catch)."""

    def __init__(self, inner: SqliteIndex) -> None:
        self.inner = inner

    def keyword(self, query: str, principals: Collection[Principal], filters, k):  # type: ignore[no-untyped-def]
        everyone = [BOB, FINANCE]
        return self.inner.keyword(query, everyone, filters, k)

    def vector(self, query_vec: Vector, model_id: str, principals, filters, k):  # type: ignore[no-untyped-def]
        return self.inner.vector(query_vec, model_id, [BOB, FINANCE], filters, k)

    def fetch(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        return self.inner.fetch(chunk_ids)

    def replace_document(self, doc, chunks, model_id):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def delete_document(self, document_id: str) -> None:
        raise NotImplementedError

    def update_acl(self, document_id: str, acl: Acl) -> None:
        raise NotImplementedError

    def count(self) -> int:
        return self.inner.count()

    def model_ids(self) -> set[str]:
        return self.inner.model_ids()

    def close(self) -> None:
        """Nothing to release."""


def test_recheck_drops_what_a_leaky_index_returns(index: SqliteIndex) -> None:
    retriever = Retriever(LeakyIndex(index), EMBEDDER)
    hits = retriever.search("zebracorn salary", [BOB], k=20)
    assert all(h.document_id != "salaries" for h in hits)
    assert retriever.dropped >= 1


def test_one_document_contributes_at_most_two_hits(tmp_path: Path) -> None:
    idx = SqliteIndex(tmp_path / "c.db")
    try:
        sections = "\n\n".join(f"## Part {i}\n\nmarmalade recipe step {i}" for i in range(6))
        add(idx, "long", "# Recipes\n\n" + sections)
        add(idx, "short", "# Other\n\nmarmalade on toast")
        hits = Retriever(idx, EMBEDDER).search("marmalade recipe", [BOB], k=10)
        assert [h.document_id for h in hits].count("long") == 2
        assert "short" in {h.document_id for h in hits}
        more = Retriever(idx, EMBEDDER, per_document=5).search("marmalade", [BOB], k=10)
        assert [h.document_id for h in more].count("long") == 5
    finally:
        idx.close()


def test_filters_pass_through(index: SqliteIndex) -> None:
    retriever = Retriever(index, EMBEDDER)
    assert retriever.search("billing", [BOB], SearchFilters(space_keys=("HR",))) == []
    assert retriever.search("billing", [BOB], SearchFilters(space_keys=("ENG",)))


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_an_input_error(index: SqliteIndex, query: str) -> None:
    with pytest.raises(InputError, match="empty"):
        Retriever(index, EMBEDDER).search(query, [BOB])


def test_bad_arguments(index: SqliteIndex) -> None:
    with pytest.raises(InputError, match="k must"):
        Retriever(index, EMBEDDER).search("billing", [BOB], k=0)
    with pytest.raises(InputError, match="lexical_weight"):
        Retriever(index, EMBEDDER, lexical_weight=1.5)


def test_punctuation_only_query_uses_the_dense_leg(index: SqliteIndex) -> None:
    hits = Retriever(index, EMBEDDER).search("?!", [BOB])
    assert all(h.document_id == "runbook" for h in hits)


def test_snippet_is_around_the_terms_and_bounded() -> None:
    text = " ".join(["filler"] * 100) + " the **needle** is here " + " ".join(["more"] * 100)
    got = snippet(text, ["needle"])
    assert "needle" in got
    assert "**" not in got
    assert got.startswith("…")
    assert got.endswith("…")
    assert len(got) <= 242
    assert snippet("short text", ["x"]) == "short text"


def test_plain_strips_markup() -> None:
    md = "## Title\n\n> [!INFO] Note\n> see [the docs](http://x) and `code`\n\n| a | b |\n|---|---|"
    assert plain(md) == "Title Note see the docs and code a · b"


MARKUP_PIECES = (  # noqa: SIM905 (pieces of Markdown, space-separated; "␣" is a space)
    "<!-- --> ``` ~~~ [ ] ( ) ]( ! < > </b> <a␣x> # ##␣ >␣ >[!INFO]␣ -␣[x]␣ *␣[␣]␣ --- :---: "
    "| ␣|␣ ** __ ~~ ` \\ \\* \n \t ␣ \u00a0 word · -"
).split(" ")
MARKUP = st.lists(st.sampled_from([p.replace("␣", " ") for p in MARKUP_PIECES]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(MARKUP)
def test_plain_skipping_patterns_that_cannot_match_changes_nothing(pieces: list[str]) -> None:
    markdown = expected = "".join(pieces)
    for _, pattern, replacement in _STRIP:  # every pattern, unconditionally
        expected = pattern.sub(replacement, expected)
    assert plain(markdown) == re.sub(r"\s+", " ", expected).strip(" ·")


def reference_snippet(text: str, terms: Sequence[str], size: int = 240) -> str:
    """The snippet as first written: one case-insensitive regex, a quadratic window."""
    text = plain(text)
    if len(text) <= size:
        return text
    start = 0
    stems = sorted({t[:5] for t in terms if t}, key=lambda t: (-len(t), t))
    if stems:
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + ")", re.IGNORECASE)
        hits = [(m.start(), m.group(0).lower()) for m in pattern.finditer(text)]
        best, left = 0, 0
        for right, (pos, _) in enumerate(hits):
            while hits[left][0] < pos - (size - 40):
                left += 1
            distinct = len({t for _, t in hits[left : right + 1]})
            if distinct > best:
                best, start = distinct, max(0, hits[left][0] - 40)
    start = min(start, len(text) - size)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = start + size
    if end < len(text):
        space = text.rfind(" ", start + size - 30, end)
        end = space if space > start else end
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


WORD_LIST = (  # noqa: SIM905 (a word list)
    "a an alpha Alpha ALPHABET beta betamax gamma x_1 x1 café CAFÉ İstanbul ſtar Kelvin"
    " straße the, (alpha) alpha-beta 42 — ∑ \u212aelvin kelvin"
).split()
SNIPPET_WORDS = st.sampled_from(WORD_LIST)


@settings(max_examples=300, deadline=None)
@given(st.lists(SNIPPET_WORDS, max_size=120), st.lists(SNIPPET_WORDS, max_size=4))
def test_snippet_is_the_same_as_first_written(words: list[str], query: list[str]) -> None:
    text = " ".join(words)
    terms = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", " ".join(query))))
    assert snippet(text, terms) == reference_snippet(text, terms)


def test_every_markup_needle_rules_prose_out() -> None:
    for needs, _, _ in _STRIP:
        for needle in needs:
            assert set(needle.encode()) & set(_NOT_PROSE) or any(
                pair in needle for pair in _NOT_PROSE_PAIRS
            ), needle


ASCII_PIECES = st.sampled_from(
    [*"abcdefxyzAXZ019_-.,;:!?()'\"/@~*]", " ", "  ", "\t", "\n", "\x0b", "\x1f", "the", "alpha"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(ASCII_PIECES, max_size=150), st.lists(st.sampled_from(WORD_LIST[:10]), max_size=4))
def test_ascii_snippets_and_plain_text_are_the_same_as_first_written(
    pieces: list[str], query: list[str]
) -> None:
    text = "".join(pieces)
    expected = text
    for _, pattern, replacement in _STRIP:
        expected = pattern.sub(replacement, expected)
    assert plain(text) == re.sub(r"\s+", " ", expected).strip(" ·")
    terms = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", " ".join(query))))
    assert snippet(text, terms, size=40) == reference_snippet(text, terms, size=40)
    found_by = _terms_pattern(tuple(terms))
    found = [(m.start(), m.group(0).lower()) for m in found_by.finditer(text)] if found_by else []
    assert _term_hits(text, tuple(terms)) == found
