"""Text to index terms the way FTS5's ``porter unicode61`` tokenizer does it.

``unicode61`` (default options) splits on every character outside the Unicode categories
L*, N*, Co and unassigned (ASCII: only ``[0-9A-Za-z]`` are token characters, so ``_``, ``-``, ``.``
split), lets a combining diacritic continue a token it did not start, lower-cases, and
removes a single diacritic from a Latin letter (``remove_diacritics=1``: ``é`` → ``e``, a
letter with two diacritics keeps them). ``porter`` then stems each token
(:mod:`radex.index.porter`). Per-character and per-word results are cached, so the cost is
one regex scan and a dictionary look-up per word. Python's Unicode database is newer than
SQLite's tables: characters added since may split or fold differently (tests compare with
FTS5 on English, Latin, Greek and Cyrillic text).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from radex.index.porter import stem

_RUN: Final = re.compile(r"[0-9A-Za-z\u0080-\U0010ffff]+")
"""Runs of characters that may belong to a token (the non-ASCII ones are checked one by one)."""
_ASCII_RUN: Final = re.compile(r"[0-9a-z]+")

_STEM_CACHE: Final = 200_000
_stems: dict[str, str] = {}


def _category_is_token(c: str) -> bool:
    category = unicodedata.category(c)  # SQLite's tables also count unassigned code points
    return category[0] in "LN" or category in ("Co", "Cn")


def _is_diacritic(c: str) -> bool:
    """``sqlite3Fts5UnicodeIsdiacritic``: the combining marks that may continue a token."""
    code = ord(c)
    if not 768 <= code <= 817:
        return False
    if code < 800:
        return bool(0x08029FDF & (1 << (code - 768)))
    return bool(0x000361F8 & (1 << (code - 800)))


@lru_cache(maxsize=65_536)
def _char(c: str) -> tuple[int, str]:
    """(0: separator, 1: token character, 2: diacritic that only continues a token), and the
    character folded: case-folded (one-to-one mappings only), one diacritic removed from a
    Latin letter, a lone diacritic dropped."""
    if _category_is_token(c):
        folded = c.casefold()
        if len(folded) != 1:
            lower = c.lower()
            folded = lower if len(lower) == 1 else c
        parts = unicodedata.normalize("NFD", folded)
        base = parts[0]
        if (
            len(parts) == 2
            and base.isascii()
            and base.isalpha()
            and unicodedata.combining(parts[1])
        ):
            folded = base.lower()
        return 1, folded
    if _is_diacritic(c):
        return 2, ""
    return 0, ""


def _split_unicode(run: str) -> list[str]:
    """The tokens of a run holding non-ASCII characters."""
    tokens: list[str] = []
    current: list[str] = []
    for c in run:
        if c.isascii():
            current.append(c.lower())
            continue
        kind, folded = _char(c)
        if kind == 1 or (kind == 2 and current):
            current.append(folded)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return [t for t in tokens if t]


def words(text: str) -> list[str]:
    """The lower-cased, diacritic-folded tokens of ``text``, unstemmed."""
    if text.isascii():
        return _ASCII_RUN.findall(text.lower())
    out: list[str] = []
    for run in _RUN.findall(text):
        if run.isascii():
            out.append(run.lower())
        else:
            out.extend(_split_unicode(run))
    return out


def terms(text: str) -> list[str]:
    """The FTS5 ``porter unicode61`` terms of ``text``, in order."""
    cache = _stems
    out = []
    for word in words(text):
        found = cache.get(word)
        if found is None:
            found = stem(word)
            if len(cache) >= _STEM_CACHE:
                cache.clear()
            cache[word] = found
        out.append(found)
    return out
