"""The Porter stemmer exactly as SQLite FTS5's ``porter`` tokenizer applies it.

A port of ``fts5PorterCb`` and its steps (``ext/fts5/fts5_tokenize.c``, public domain) so that
the in-memory keyword index derives the same terms as the FTS5 table it mirrors. FTS5 stems
bytes: a token shorter than 3 or longer than 64 UTF-8 bytes passes through, only ASCII
``aeiou`` (and ``y`` after a consonant) are vowels, and every other byte is a consonant. To
stay byte-exact without working on ``bytes``, a non-ASCII token is stemmed as its UTF-8 bytes
decoded as Latin-1 (one character per byte) and encoded back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

_MAX_TOKEN: Final = 64
_VOWELS: Final = frozenset("aeiou")

Condition = Callable[[str], bool]


def _is_vowel(c: str, y_is_vowel: bool) -> bool:
    return c in _VOWELS or (y_is_vowel and c == "y")


def _gobble_vc(stem: str, start: int, prev_consonant: bool) -> int:
    """``fts5PorterGobbleVC``: the offset just past the first vowel-consonant pair, else 0."""
    consonant = prev_consonant
    i = start
    while i < len(stem):
        consonant = not _is_vowel(stem[i], consonant)
        if not consonant:
            break
        i += 1
    i += 1
    while i < len(stem):
        consonant = not _is_vowel(stem[i], consonant)
        if consonant:
            return i + 1
        i += 1
    return 0


def _m_gt0(stem: str) -> bool:
    return _gobble_vc(stem, 0, False) > 0


def _m_gt1(stem: str) -> bool:
    n = _gobble_vc(stem, 0, False)
    return n > 0 and _gobble_vc(stem, n, True) > 0


def _m_eq1(stem: str) -> bool:
    n = _gobble_vc(stem, 0, False)
    return n > 0 and _gobble_vc(stem, n, True) == 0


def _o_star(stem: str) -> bool:
    """Ends consonant-vowel-consonant, the last not w, x or y."""
    if not stem or stem[-1] in "wxy":
        return False
    mask = 0
    consonant = False
    for c in stem:
        consonant = not _is_vowel(c, consonant)
        mask = (mask << 1) + consonant
    return (mask & 7) == 5


def _m_gt1_s_or_t(stem: str) -> bool:
    return bool(stem) and stem[-1] in "st" and _m_gt1(stem)


def _has_vowel(stem: str) -> bool:
    return any(_is_vowel(c, i > 0) for i, c in enumerate(stem))


Rule = tuple[str, Condition | None, str, bool]
"""(suffix, condition on the stem, replacement, whether applying it counts for step 1b)."""

_STEP1B: Final[tuple[Rule, ...]] = (
    ("eed", _m_gt0, "ee", False),
    ("ed", _has_vowel, "", True),
    ("ing", _has_vowel, "", True),
)
_STEP1B2: Final[tuple[Rule, ...]] = (
    ("at", None, "ate", True),
    ("bl", None, "ble", True),
    ("iz", None, "ize", True),
)
_STEP2: Final[tuple[Rule, ...]] = tuple(
    (suffix, _m_gt0, out, False)
    for suffix, out in (
        ("ational", "ate"),
        ("tional", "tion"),
        ("enci", "ence"),
        ("anci", "ance"),
        ("izer", "ize"),
        ("logi", "log"),
        ("bli", "ble"),
        ("alli", "al"),
        ("entli", "ent"),
        ("eli", "e"),
        ("ousli", "ous"),
        ("ization", "ize"),
        ("ation", "ate"),
        ("ator", "ate"),
        ("alism", "al"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("aliti", "al"),
        ("iviti", "ive"),
        ("biliti", "ble"),
    )
)
_STEP3: Final[tuple[Rule, ...]] = tuple(
    (suffix, _m_gt0, out, False)
    for suffix, out in (
        ("ical", "ic"),
        ("ness", ""),
        ("icate", "ic"),
        ("iciti", "ic"),
        ("ful", ""),
        ("ative", ""),
        ("alize", "al"),
    )
)
_STEP4: Final[tuple[Rule, ...]] = tuple(
    (suffix, _m_gt1_s_or_t if suffix == "ion" else _m_gt1, "", False)
    for suffix in (
        "al",
        "ance",
        "ence",
        "er",
        "ic",
        "able",
        "ible",
        "ant",
        "ement",
        "ment",
        "ent",
        "ion",
        "ou",
        "ism",
        "ate",
        "iti",
        "ous",
        "ive",
        "ize",
    )
)


def _by_penultimate(rules: tuple[Rule, ...]) -> dict[str, tuple[Rule, ...]]:
    """Rules grouped by their suffix's second-to-last letter, in order (FTS5's ``switch``)."""
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule[0][-2], []).append(rule)
    return {k: tuple(v) for k, v in groups.items()}


_TABLES: Final = {
    name: _by_penultimate(rules)
    for name, rules in (
        ("1b", _STEP1B),
        ("1b2", _STEP1B2),
        ("2", _STEP2),
        ("3", _STEP3),
        ("4", _STEP4),
    )
}


def _apply(word: str, step: str) -> tuple[str, bool]:
    """The first rule of ``step`` whose suffix ends ``word`` (leaving a non-empty stem):
    applied when its condition holds, else nothing (later rules are not tried). Returns the
    word and the applied rule's flag (False when none applied)."""
    if len(word) < 2:
        return word, False
    for suffix, condition, out, flag in _TABLES[step].get(word[-2], ()):
        if len(word) > len(suffix) and word.endswith(suffix):
            stem = word[: -len(suffix)]
            if condition is None or condition(stem):
                return stem + out, flag
            return word, False
    return word, False


def _step1a(word: str) -> str:
    if word[-1] != "s":
        return word
    if word[-2] == "e":
        n = len(word)
        if (n > 4 and word[-4:-2] == "ss") or (n > 3 and word[-3] == "i"):
            return word[:-2]
        return word[:-1]
    return word if word[-2] == "s" else word[:-1]


def _stem_ascii(word: str) -> str:
    """The FTS5 porter steps over a word of one-byte characters (at least 3 of them)."""
    word = _step1a(word)
    word, removed = _apply(word, "1b")
    if removed and word:
        word, added = _apply(word, "1b2")
        if not added:
            last = word[-1]
            before = word[-2] if len(word) > 1 else ""
            if not _is_vowel(last, False) and last not in "lsz" and last == before:
                word = word[:-1]
            elif _m_eq1(word) and _o_star(word):
                word += "e"
    if word and word[-1] == "y" and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    for step in ("2", "3", "4"):
        word = _apply(word, step)[0]
    if word and word[-1] == "e":
        stem = word[:-1]
        if _m_gt1(stem) or (_m_eq1(stem) and not _o_star(stem)):
            word = stem
    if len(word) > 1 and word[-2:] == "ll" and _m_gt1(word[:-1]):
        word = word[:-1]
    return word


def stem(token: str) -> str:
    """The FTS5 ``porter`` stem of one lower-cased token."""
    if token.isascii():
        if not 3 <= len(token) <= _MAX_TOKEN:
            return token
        return _stem_ascii(token)
    raw = token.encode("utf-8")
    if not 3 <= len(raw) <= _MAX_TOKEN:
        return token
    out = _stem_ascii(raw.decode("latin-1")).encode("latin-1")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:  # only ASCII suffixes change, so this cannot happen
        return token
