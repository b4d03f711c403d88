"""The in-memory tokenizer against SQLite FTS5's own ``porter unicode61``, term for term."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radex.confluence.emulator import vocabulary
from radex.index.porter import stem
from radex.index.tokens import terms, words


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    yield db
    db.close()


def fts5_terms(db: sqlite3.Connection, texts: Sequence[str]) -> list[list[str]]:
    """What FTS5 ``porter unicode61`` makes of each text, in order."""
    db.execute("DROP TABLE IF EXISTS t")
    db.execute("DROP TABLE IF EXISTS v")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
    db.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(texts, start=1))
    found: list[list[str]] = [[] for _ in texts]
    for term, doc in db.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
        found[doc - 1].append(term)
    return found


PORTER_CASES = (  # noqa: SIM905 (a word list)
    "caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated "
    "troubled sized hopping tanned falling hissing fizzed failing filing happy sky "
    "relational conditional rational valenci hesitanci digitizer conformabli radicalli "
    "differentli vileli analogousli vietnamization predication operator feudalism "
    "decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate "
    "formative formalize electriciti electrical hopeful goodness revival allowance inference "
    "airliner gyroscopic adjustable defensible irritant replacement adjustment dependent "
    "adoption homologou communism activate angulariti homologous effective bowdlerize "
    "probate rate cease controll roll eed ied sses goes yes ys deploys rollback kestrel "
    "generalizations oscillators skies dying lying tying agreement"
).split()


def corpus_words() -> list[str]:
    """Every distinct word of the emulator's templates and word lists."""
    text = repr([getattr(vocabulary, name) for name in dir(vocabulary) if name.isupper()])
    return sorted({w.lower() for w in re.findall(r"[A-Za-z]+", text)})


def test_stems_match_fts5(fts: sqlite3.Connection) -> None:
    words_ = PORTER_CASES + corpus_words()
    assert [[stem(w)] for w in words_] == fts5_terms(fts, words_)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text("aeiouybcdlmnrstvwxzgp", min_size=1, max_size=14), min_size=1))
def test_stems_of_made_up_words_match_fts5(made_up: list[str]) -> None:
    db = sqlite3.connect(":memory:")
    try:
        assert [[stem(w)] for w in made_up] == fts5_terms(db, made_up)
    finally:
        db.close()


TEXTS = [
    "Café déjà-vu naïve façade ÉCOLE Straße İstanbul",
    "e\u0301cole x\u0301y \u0301start",  # combining accents: continue a token, never start one
    "日本語のテキスト 中文, Привет мир! ΑΒΓ αβγ ϑ ſ",
    "billing_api_migrate billing-api v2.3.1 ERR-4711 user@example.com C:\\tmp",
    "ENG › Runbooks › Page 5 — “quoted” ‘x’ tab\tnew\nline €100 £5",
    "a" * 70 + "ing " + "é" * 40 + "ing",  # too long to stem (> 64 bytes)
    "",
    "?!. -- **",
]


def test_terms_match_fts5(fts: sqlite3.Connection) -> None:
    assert [terms(t) for t in TEXTS] == fts5_terms(fts, TEXTS)


LATIN_GREEK_CYRILLIC = st.sampled_from(  # old enough for SQLite's Unicode tables
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x180)]  # Latin-1 and Latin Extended-A
    + [chr(c) for c in range(0x300, 0x370)]  # combining diacritics
    + [chr(c) for c in range(0x391, 0x3CA) if c != 0x3A2]  # Greek
    + [chr(c) for c in range(0x400, 0x460)]  # Cyrillic
    + list("–—‘’“”…›€\t\n\u00a0\u2003")
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(LATIN_GREEK_CYRILLIC, max_size=30), min_size=1, max_size=8))
def test_terms_of_latin_greek_cyrillic_text_match_fts5(texts: list[str]) -> None:
    db = sqlite3.connect(":memory:")
    try:
        assert [terms(t) for t in texts] == fts5_terms(db, texts)
    finally:
        db.close()


def test_words_are_lower_cased_and_split_like_unicode61() -> None:
    assert words("Billing-API_v2 ÉTÉ") == ["billing", "api", "v2", "ete"]
    assert terms("Running deploys") == ["run", "deploi"]
