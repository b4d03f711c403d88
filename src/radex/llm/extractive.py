"""Extractive answers: the sentences of the hits that best match the question, each cited.

No model is needed. Hits arrive best first; a sentence's score is its overlap with the
question's terms (weighted by how rare each term is among the candidate sentences), plus a
small bonus for coming from a better-ranked hit.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from radex.llm.base import NOTHING_FOUND, Answerer
from radex.text import STOP_WORDS
from radex.types import Answer, Citation, Hit

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-.]*[A-Za-z0-9]|[A-Za-z0-9]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|~~|`+|<br>|</?(?:sub|sup|details|summary)>)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_STOP = STOP_WORDS | {"about", "into", "so", "than", "then", "were"}
CAPTION_WORDS = 10
"""A paragraph line of at most this many words without closing punctuation is a caption."""


def terms(text: str) -> list[str]:
    """Lower-cased content words with a light suffix strip (so 'rotations' meets 'rotate')."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        out.append(_stem(word))
    return out


_SUFFIXES = (
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ed", ""),
    ("es", "e"),
    ("s", ""),
)


def _stem(word: str) -> str:
    """A light stemmer: enough that 'acknowledged', 'acknowledgement' and 'acknowledge' meet."""
    for suffix, repl in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            word = word[: -len(suffix)] + repl
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table_rows(rows: list[list[str]]) -> list[str]:
    """Table rows as 'Header: value; ...' sentences (a second header row is folded in)."""
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if body and len(body[0]) == len(header):
        same = sum(1 for a, b in zip(header, body[0], strict=True) if a == b and a)
        if same and same >= len(header) / 2 and len(set(header)) < len(header):
            header = [
                a if a == b else f"{a} {b}".strip() for a, b in zip(header, body[0], strict=True)
            ]
            body = body[1:]
    out = []
    for row in body:
        pairs = [
            f"{h}: {c}" if h and h != c else c
            for h, c in zip(header + [""] * len(row), row, strict=False)
            if c
        ]
        if pairs:
            out.append("; ".join(pairs))
    return out


def sentences(markdown: str) -> list[str]:
    """Readable sentences of a chunk: markup stripped, table rows and list items as units."""
    return [text for text, _ in _units(markdown)]


def _units(markdown: str) -> list[tuple[str, bool]]:
    """:func:`sentences`, each with whether it reads as a caption: a paragraph line of a few
    words with no closing punctuation (a document's title at the top of an extracted file, a
    label), which names what the text is about rather than saying anything."""
    out: list[tuple[str, bool]] = []
    in_code = False
    table: list[list[str]] = []
    for raw in [*markdown.splitlines(), ""]:
        line = raw.strip()
        if line.startswith("|") and not in_code:
            if not set(line) <= set("|-: "):
                table.append([_clean(c) for c in _cells(line)])
            continue
        if table:
            out.extend((row, False) for row in _table_rows(table))
            table = []
        if line.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not line or set(line) <= set("|-: "):
            continue
        if line.startswith("#") or line.startswith("> [!"):
            continue  # headings and callout titles are in the breadcrumb / context
        listed = _LIST_MARK.match(line) is not None
        line = _clean(_LIST_MARK.sub("", line.lstrip("> ").strip()))
        if not line:
            continue
        parts = [s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) > 2]
        caption = (
            not listed
            and len(parts) == 1
            and line[-1] not in ".!?:;)\"'"
            and ":" not in line
            and len(line.split()) <= CAPTION_WORDS
        )
        out.extend((part, caption) for part in parts)
    return out


def _clean(text: str) -> str:
    """Text without Markdown links, marks and escapes."""
    text = _LINK.sub(r"\1", text)
    return _MARKUP.sub(" ", text).replace("\\", "").strip()


@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    position: int
    text: str
    terms: frozenset[str]
    context: frozenset[str]  # the terms of the chunk's heading
    caption: bool = False  # a title or label line: it names, it does not answer


class ExtractiveAnswerer(Answerer):
    """The offline answerer: up to ``max_sentences`` best sentences, each followed by ``[n]``."""

    def __init__(self, *, max_sentences: int = 3, per_document: int = 2) -> None:
        self.max_sentences = max_sentences
        self.per_document = per_document

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer:
        """The best-matching sentences of the hits, cited; a plain 'nothing found' otherwise."""
        if not hits:
            return Answer(question, NOTHING_FOUND, (), found=False)
        wanted = set(terms(question))
        candidates = [
            _Candidate(
                rank,
                pos,
                text,
                frozenset(terms(text)),
                frozenset(terms(hit.heading or "")),
                caption,
            )
            for rank, hit in enumerate(hits)
            for pos, (text, caption) in enumerate(_units(hit.text))
        ]
        picked = self._pick(wanted, candidates, hits)
        citations: dict[str, Citation] = {}
        parts: list[str] = []
        for cand in picked:
            hit = hits[cand.hit_rank]
            cite = citations.get(hit.document_id)
            if cite is None:
                cite = Citation(
                    len(citations) + 1,
                    hit.document_id,
                    hit.external_id,
                    hit.title,
                    hit.url,
                    hit.updated_at,
                    hit.heading,
                )
                citations[hit.document_id] = cite
            text = cand.text if cand.text[-1] in ".!?:" else cand.text + "."
            parts.append(f"{text} [{cite.n}]")
        return Answer(question, " ".join(parts), tuple(citations.values()), found=True)

    def _pick(
        self, wanted: set[str], candidates: list[_Candidate], hits: Sequence[Hit]
    ) -> list[_Candidate]:
        if not candidates:
            return []
        df = Counter(t for c in candidates for t in c.terms if t in wanted)
        n = len(candidates)
        idf = {t: math.log(1 + n / df[t]) for t in df}

        def score(c: _Candidate) -> float:
            own = sum(idf.get(t, 0.0) for t in c.terms & wanted)
            heading = sum(idf.get(t, 1.0) for t in (c.context - c.terms) & wanted)
            length = math.sqrt(max(len(c.terms), 4))
            base = (own / length + 0.6 * heading / math.sqrt(max(len(c.context), 1))) / (
                1 + 0.25 * c.hit_rank
            )
            if c.text.endswith("?") or c.caption:  # a question or a title rarely answers
                return base * 0.3
            return base

        ranked = sorted(candidates, key=lambda c: (-score(c), c.hit_rank, c.position))
        if not any((c.terms | c.context) & wanted for c in ranked):
            ranked = [c for c in candidates if c.hit_rank == 0]
        per_doc: Counter[str] = Counter()
        seen: set[str] = set()
        out: list[_Candidate] = []
        for cand in ranked:
            doc = hits[cand.hit_rank].document_id
            key = cand.text.lower()
            if key in seen or per_doc[doc] >= self.per_document:
                continue
            if out and not (cand.terms | cand.context) & wanted:
                break  # after the first, only sentences that touch the question
            seen.add(key)
            per_doc[doc] += 1
            out.append(cand)
            if len(out) >= self.max_sentences:
                break
        # Read in the order the sources gave them: by hit, then by position.
        return sorted(out, key=lambda c: (c.hit_rank, c.position))
