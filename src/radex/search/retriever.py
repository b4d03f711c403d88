"""Hybrid, permission-aware retrieval: keyword + vector legs, fused, re-checked, collapsed.

Both legs run against the index with the reader's principals, so the Acl is applied before
ranking (pre-filter). The fused candidates are fetched and every one's Acl is checked again
with :meth:`Acl.admits`, its folder against the reader's folder grants (defence in depth: a
hit that fails is dropped and counted in ``Retriever.dropped``); a document contributes at
most ``per_document`` hits. Snippets come from the hit's own chunk only, and only for the hits
returned. With ``parallel`` (default: on machines with 4+ cores) the keyword leg runs on a
small thread pool while the query is embedded (a model run releases the GIL; the two legs of
:class:`~radex.index.SqliteIndex` share its memory lock, so they do not overlap each other).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Final

from radex.embed.base import Embedder
from radex.errors import InputError
from radex.index.base import SearchIndex, StoredChunk
from radex.search.fusion import LEXICAL_WEIGHT, RRF_K, fuse
from radex.types import Hit, Principal, Reader, SearchFilters

SNIPPET_CHARS: Final = 240
MAX_K: Final = 200
_WORD: Final = re.compile(r"\w+")
_STRIP: Final = (  # (substring without which the pattern cannot match, pattern, replacement)
    (("<!--",), re.compile(r"<!--.*?-->", re.DOTALL), " "),
    (("```", "~~~"), re.compile(r"```+[^\n]*|~~~+[^\n]*"), " "),
    (("](",), re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (("<",), re.compile(r"</?[A-Za-z][^>]*>"), " "),
    (
        ("#", ">", "["),
        re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?\[![A-Za-z]+\]\s*|>\s?|[-*+]\s+\[[ xX]\]\s+)"),
        "",
    ),
    (("---",), re.compile(r"(?m)^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$"), " "),
    (("**", "__", "~~", "`"), re.compile(r"(\*\*|__|~~|`+)"), ""),
    (("|",), re.compile(r"(?m)^[ \t]*\||\|[ \t]*$"), ""),
    (("|",), re.compile(r"\s*\|\s*"), " · "),
    (("\\",), re.compile(r"\\([!-/:-@\[-`{-~])"), r"\1"),
)


class Retriever:
    """Hybrid search over a :class:`SearchIndex` with an :class:`Embedder` for the dense leg."""

    def __init__(
        self,
        index: SearchIndex,
        embedder: Embedder,
        lexical_weight: float = LEXICAL_WEIGHT,
        *,
        per_document: int = 2,
        rrf_k: int = RRF_K,
        parallel: bool | None = None,
    ) -> None:
        if not 0.0 <= lexical_weight <= 1.0:
            raise InputError(f"lexical_weight must be between 0 and 1, not {lexical_weight}")
        if per_document < 1:
            raise InputError(f"per_document must be at least 1, not {per_document}")
        self.index = index
        self.embedder = embedder
        self.lexical_weight = lexical_weight
        self.per_document = per_document
        self.rrf_k = rrf_k
        self.dropped = 0
        self._lock = threading.Lock()
        if parallel is None:  # on two cores the legs only fight over them (BLAS uses both)
            parallel = (os.cpu_count() or 1) >= 4
        self._pool = ThreadPoolExecutor(4, "radex-keyword") if parallel else None

    def search(
        self,
        query: str,
        principals: Collection[Principal],
        filters: SearchFilters = SearchFilters(),  # noqa: B008 (frozen, so sharing is safe)
        k: int = 10,
    ) -> list[Hit]:
        """The ``k`` best chunks the reader may see for ``query``, at most a few per document."""
        if not isinstance(query, str) or not query.strip():
            raise InputError("the search query is empty", hint="type a few words to search for")
        if not 1 <= k <= MAX_K:
            raise InputError(f"k must be between 1 and {MAX_K}, not {k}")
        readers = frozenset(principals)
        pool = max(50, 5 * k)
        if self._pool is not None:  # the keyword leg runs while the query is embedded
            pending = self._pool.submit(self.index.keyword, query, readers, filters, pool)
            dense = self._dense(query, readers, filters, pool)
            return self._fused(query, readers, filters, pending.result(), dense, k)
        vector = self.embedder.embed_query(query)
        with self.index.pinned():  # both legs and the fetches: one view, checked once
            lexical = self.index.keyword(query, readers, filters, pool)
            dense = self.index.vector(vector, self.embedder.model_id, readers, filters, pool)
            return self._fused(query, readers, filters, lexical, dense, k)

    def _fused(
        self,
        query: str,
        readers: frozenset[Principal],
        filters: SearchFilters,
        lexical: Sequence[tuple[str, float]],
        dense: Sequence[tuple[str, float]],
        k: int,
    ) -> list[Hit]:
        """The legs' results fused, fetched, re-checked and collapsed into at most k hits."""
        fused = fuse(
            [
                ([c for c, _ in lexical], self.lexical_weight),
                ([c for c, _ in dense], 1.0 - self.lexical_weight),
            ],
            k=self.rrf_k,
        )
        return self._hits(query, readers, filters.granted_folders, fused, k)

    def _dense(
        self, query: str, readers: frozenset[Principal], filters: SearchFilters, pool: int
    ) -> list[tuple[str, float]]:
        """The vector leg: embed the query, search the model's vectors."""
        vector = self.embedder.embed_query(query)
        return self.index.vector(vector, self.embedder.model_id, readers, filters, pool)

    def close(self) -> None:
        """Stop the keyword-leg threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _hits(
        self,
        query: str,
        readers: frozenset[Principal],
        granted: tuple[str, ...] | None,
        fused: Sequence[tuple[str, float]],
        k: int,
    ) -> list[Hit]:
        """Fetch candidates in fused order, re-check each Acl and folder grant, collapse per
        document."""
        gate = Reader("", readers, granted) if granted is not None else None
        hits: list[Hit] = []
        per_doc: dict[str, int] = {}
        batch = max(2 * k, 20)
        terms = tuple(query_terms(query))
        verdicts: dict[int, bool] = {}  # id(acl) -> admits: documents share a few Acls
        for start in range(0, len(fused), batch):
            scores = dict(fused[start : start + batch])
            for stored in self.index.fetch(list(scores)):
                doc = stored.doc
                admits = verdicts.get(id(doc.acl))
                if admits is None:
                    admits = verdicts[id(doc.acl)] = doc.acl.admits(readers)
                if not admits or (gate is not None and not gate.opens(doc.folder_path)):
                    with self._lock:
                        self.dropped += 1
                    continue
                seen = per_doc.get(doc.document_id, 0)
                if seen >= self.per_document:
                    continue
                per_doc[doc.document_id] = seen + 1
                hits.append(to_hit(stored, scores[stored.chunk.id], terms))
                if len(hits) == k:
                    return hits
        return hits


def to_hit(stored: StoredChunk, score: float, terms: Sequence[str]) -> Hit:
    """A search hit for a fetched chunk (deep link to its heading when it has an anchor)."""
    chunk, doc = stored.chunk, stored.doc
    url = f"{doc.url}#{chunk.anchor}" if chunk.anchor else doc.url
    return Hit(
        chunk_id=chunk.id,
        document_id=doc.document_id,
        external_id=doc.external_id,
        title=doc.title,
        url=url,
        score=score,
        snippet=snippet(chunk.text, terms),
        text=chunk.text,
        heading=chunk.heading,
        space_key=doc.space_key,
        updated_at=doc.updated_at,
    )


def query_terms(query: str) -> list[str]:
    """The query's distinct lower-cased words, longest first."""
    words = dict.fromkeys(w.lower() for w in _WORD.findall(query))
    return sorted(words, key=lambda w: (-len(w), w))


@lru_cache(maxsize=4096)
def plain(markdown: str) -> str:
    """Markdown with its markup lightly stripped, on one line (kept for the chunks most
    recently shown: the same chunk is often a hit again)."""
    if _is_prose(markdown):  # no pattern can match, and the join below gives it back
        return markdown
    text = markdown
    for needs, pattern, replacement in _STRIP:
        for needle in needs:  # a cheap test first: most chunks are plain prose
            if needle in text:
                text = pattern.sub(replacement, text)
                break
    return " ".join(text.split()).strip(" ·")


_NOT_PROSE: Final = b"<`#>[|\\\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
"""Characters whose presence alone may start markup (every ``_STRIP`` needle holds one of
them or one of ``_NOT_PROSE_PAIRS``) or is white space ``str.split`` splits on, other than
the space."""
_NOT_PROSE_PAIRS: Final = ("~~", "](", "---", "**", "__", "  ")
"""The pairs (and the run) :func:`_is_prose` looks for (the test checks the needles)."""


def _is_prose(text: str) -> bool:
    """Whether ``text`` is ASCII holding no ``_STRIP`` needle, its words apart by single
    spaces with no space at either end: what ``plain`` would give back unchanged."""
    if not text.isascii() or text[:1] == " " or text[-1:] == " ":
        return False
    raw = text.encode("ascii")
    if len(raw.translate(None, _NOT_PROSE)) != len(raw):
        return False
    return (  # a pair is looked for only when its rarer character is there (memchr)
        ("~" not in text or "~~" not in text)
        and ("]" not in text or "](" not in text)
        and ("*" not in text or "**" not in text)
        and ("_" not in text or "__" not in text)
        and "---" not in text
        and "  " not in text
    )


@lru_cache(maxsize=256)
def _stems(terms: tuple[str, ...]) -> tuple[str, ...]:
    """The terms' first five letters, longest first."""
    return tuple(sorted({t[:5] for t in terms if t}, key=lambda t: (-len(t), t)))


@lru_cache(maxsize=256)
def _ascii(stems: tuple[str, ...]) -> bool:
    """Whether every stem is ASCII."""
    return all(t.isascii() for t in stems)


@lru_cache(maxsize=256)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """A regex finding words that start like one of the terms (first five letters)."""
    stems = _stems(terms)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + ")", re.IGNORECASE)


_ASCII_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
"""What ``\\w`` matches in lower-cased ASCII text."""

_SPACED: Final = bytes(
    ord(chr(c).lower()) if chr(c).lower() in _ASCII_WORD else 32 for c in range(256)
)
"""A ``bytes.translate`` table: ASCII lower-cased, every character ``\\w`` does not match a
space (one character for one, so positions stay)."""


@lru_cache(maxsize=256)
def _needles(stems: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    """Each (ASCII) stem with the bytes that find it at the start of a word: a space, then
    the stem."""
    return tuple((stem, b" " + stem.encode("ascii")) for stem in stems)


def _term_hits(text: str, terms: tuple[str, ...]) -> list[tuple[int, str]]:
    """Where in ``text`` a word starts like one of the terms (its first five letters), and
    that start, lower-cased: what :func:`_terms_pattern` finds.

    For ASCII text and terms nothing is compiled per query: the text is lower-cased with
    every non-word character turned into a space, behind one more space, so a stem found
    after a space (``bytes.find``) is one at the start of a word, at the position of that
    space; where several match at one place (a stem holds only word characters) the longest
    wins, as among the pattern's alternatives, tried longest first.
    """
    stems = _stems(terms)
    if not stems:
        return []
    if text.isascii() and _ascii(stems):
        spaced = b" " + text.encode("ascii").translate(_SPACED)
        found: dict[int, str] = {}
        for stem, needle in _needles(stems):  # longest first: the first found keeps a place
            at = spaced.find(needle)
            while at >= 0:
                found.setdefault(at, stem)
                at = spaced.find(needle, at + 1)
        return sorted(found.items())
    pattern = _terms_pattern(terms)
    assert pattern is not None
    return [(m.start(), m.group(0).lower()) for m in pattern.finditer(text)]


def snippet(markdown: str, terms: Sequence[str], size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of the text around the densest run of query terms."""
    text = plain(markdown)
    if len(text) <= size:
        return text
    start = 0
    hits = _term_hits(text, tuple(terms))
    if hits:
        best, left = 0, 0
        window: dict[str, int] = {}  # term -> occurrences in hits[left : right + 1]
        for pos, term in hits:  # sliding window of ``size - 40`` characters
            window[term] = window.get(term, 0) + 1
            while hits[left][0] < pos - (size - 40):
                gone = hits[left][1]
                window[gone] -= 1
                if not window[gone]:
                    del window[gone]
                left += 1
            if len(window) > best:
                best, start = len(window), max(0, hits[left][0] - 40)
    start = min(start, len(text) - size)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = start + size
    if end < len(text):
        space = text.rfind(" ", start + size - 30, end)
        end = space if space > start else end
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")
