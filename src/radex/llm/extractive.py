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
from radex.types import Answer, Citation, Hit

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-.]*[A-Za-z0-9]|[A-Za-z0-9]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|~~|`+|<br>|</?(?:sub|sup|details|summary)>)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_STOP = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "about",
        "into",
        "than",
        "then",
    )
)


def terms(text: str) -> list[str]:
    """Lower-cased content words with a light suffix strip (so 'rotations' meets 'rotate')."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        out.append(_stem(word))
    return out


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def sentences(markdown: str) -> list[str]:
    """Readable sentences of a chunk: markup stripped, table rows and list items as units."""
    out: list[str] = []
    in_code = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or not line or set(line) <= set("|-: "):
            continue
        if line.startswith("#") or line.startswith("> [!"):
            continue  # headings and callout titles are in the breadcrumb / context
        line = line.lstrip("> ").strip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
            line = " — ".join(cells)
        line = _LIST_MARK.sub("", line)
        line = _LINK.sub(r"\1", line)
        line = _MARKUP.sub("", line).replace("\\", "").strip()
        if not line:
            continue
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) > 2)
    return out


@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    position: int
    text: str
    terms: frozenset[str]


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
            _Candidate(rank, pos, text, frozenset(terms(text)))
            for rank, hit in enumerate(hits)
            for pos, text in enumerate(sentences(hit.text))
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
            overlap = sum(idf.get(t, 0.0) for t in c.terms & wanted)
            length = max(len(c.terms), 1)
            return overlap / math.sqrt(length) * 2 + 1.0 / (1 + c.hit_rank) * 0.5

        ranked = sorted(candidates, key=lambda c: (-score(c), c.hit_rank, c.position))
        if not any(c.terms & wanted for c in ranked):
            ranked = [c for c in candidates if c.hit_rank == 0]
        per_doc: Counter[str] = Counter()
        seen: set[str] = set()
        out: list[_Candidate] = []
        for cand in ranked:
            doc = hits[cand.hit_rank].document_id
            key = cand.text.lower()
            if key in seen or per_doc[doc] >= self.per_document:
                continue
            if out and not cand.terms & wanted:
                break  # after the first, only sentences that touch the question
            seen.add(key)
            per_doc[doc] += 1
            out.append(cand)
            if len(out) >= self.max_sentences:
                break
        # Read in the order the sources gave them: by hit, then by position.
        return sorted(out, key=lambda c: (c.hit_rank, c.position))
