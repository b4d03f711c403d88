"""Query latency: SqliteIndex hybrid search with an Acl vs a bare numpy dense search.

The corpus is ``--sizes`` chunks (10 per document) of prose from the emulator's sentence
generator, with 384-dim float32 vectors drawn around 200 random cluster centres. 70% of the
documents are public; 30% are restricted to one or two of 12 groups (on top of a space clause
everyone meets). The reader holds 2 of the groups. Each query is 2–5 words from one chunk of
the corpus and a vector near that chunk's cluster centre; 10 other queries warm up first.

*hybrid* is ``Retriever.search`` (keyword leg + vector leg + fusion + fetch + Acl re-check +
snippets; the query vector is precomputed, so no model runs) with k = 10, once with the legs
one after the other and once with the keyword leg on a thread while the vector leg runs. *bare* is
``matrix @ query`` + ``argpartition`` top 10 over the same vectors, no Acl, no text. Both legs
are also timed alone (k = 50, as the retriever asks), and the keyword leg once more on the FTS5
fallback (a second ``SqliteIndex`` on the same file with ``keyword_memory=False``). The runs
are interleaved query by query, *hybrid* first after *bare* (so no other run has warmed a cache
with the same query before it), except for two passes of their own after them: the FTS5 leg
(SQLite evicts the CPU caches the other runs rely on), and *hybrid* right after a write (one
document re-indexed before each query, untimed), when every cache the write invalidates is cold.

*Acl selectivity* (``--acl-size``, 100,000 chunks by default; 0 skips it) is a corpus of the
same prose and vectors with Confluence-like Acls: 20 spaces whose space clause names the
space's group and two of its users, and 85% of the documents restricted by one or two further
clauses (page and ancestor restrictions) over 300 users and 60 groups, all scoped by source
(``user:conf:<id>``, ``group:conf:<name>``). One reader may see exactly 1% of the chunks (checked,
and every hit they get is checked against the corpus's Acls); the other holds every principal
and may see them all. Both ask the same queries through ``Retriever.search``, in alternating
order, and each leg is timed alone too.

Run: ``.venv/bin/python -m bench.bench_query [--sizes 10000,100000] [--queries 200]
[--acl-size 100000]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from radex.confluence.emulator.prose import PageFacts, Prose
from radex.confluence.emulator.vocabulary import SENTENCES, SERVICES, TEAMS, TECH
from radex.embed.base import Embedder
from radex.index import IndexDoc, IndexedChunk, SqliteIndex
from radex.search.retriever import Retriever
from radex.types import Acl, Chunk, Hit, Principal, SearchFilters

DIM = 384
PER_DOC = 10
CLUSTERS = 200
WARM_UP = 10
GROUPS = [Principal("group", f"team-{i}") for i in range(12)]
READER = [Principal("user", "reader"), GROUPS[0], GROUPS[1]]
SPACE = frozenset({Principal("group", "confluence-users"), Principal("anyone")})
SOURCE = "conf"
SPACES = 20
USERS = [Principal.of_source("user", SOURCE, f"u{i}") for i in range(300)]
TEAMS_ = [Principal.of_source("group", SOURCE, f"g{i}") for i in range(60)]
SPACE_GROUPS = [Principal.of_source("group", SOURCE, f"space-{i}") for i in range(SPACES)]
NARROW = [USERS[0], TEAMS_[0], TEAMS_[1], SPACE_GROUPS[0], SPACE_GROUPS[1]]
BROAD = USERS + TEAMS_ + SPACE_GROUPS


class Precomputed(Embedder):
    """An "embedder" that returns the vector prepared for each benchmark query."""

    model_id = "bench-384"
    dim = DIM
    max_tokens = 256

    def __init__(self) -> None:
        self.vectors: dict[str, np.ndarray] = {}

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """The prepared vectors of ``texts``."""
        return np.stack([self.vectors[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """The prepared vector of ``text`` (a look-up: the harness should cost nothing)."""
        return self.vectors[text]


@dataclass
class Corpus:
    """Chunk texts, their vectors and documents' Acls."""

    texts: list[str]
    vectors: np.ndarray
    acls: list[Acl]
    queries: list[tuple[str, np.ndarray]]


def sentences(rng: random.Random, count: int) -> list[str]:
    """Plain sentences from the emulator's prose generator."""
    prose = Prose(rng)
    topics = sorted(SENTENCES)
    out: list[str] = []
    while len(out) < count:
        facts = PageFacts(
            kind="page",
            title="Bench",
            service=rng.randrange(len(SERVICES)),
            team=rng.randrange(len(TEAMS)),
            tech=rng.randrange(len(TECH)),
            day=date(2024, 1, 1),
            people=("alice",),
            links=(),
        )
        out += prose.short_text(facts, rng.choice(topics), 8).split(". ")
    return out[:count]


def corpus(size: int, queries: int, seed: int = 7) -> Corpus:
    """A corpus of ``size`` chunks and ``queries`` queries drawn from it (plus WARM_UP more,
    first)."""
    rng = random.Random(seed)
    gen = np.random.default_rng(seed)
    pool = sentences(rng, 20_000)
    texts = [". ".join(rng.sample(pool, rng.randint(3, 6))) + "." for _ in range(size)]
    centres = gen.standard_normal((CLUSTERS, DIM), dtype=np.float32)
    docs = size // PER_DOC
    doc_cluster = gen.integers(0, CLUSTERS, docs)
    noise = gen.standard_normal((size, DIM), dtype=np.float32) * 0.6
    vectors = centres[np.repeat(doc_cluster, PER_DOC)] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    acls = []
    for _ in range(docs):
        if rng.random() < 0.7:
            acls.append(Acl.of([SPACE]))
        else:
            acls.append(Acl.of([SPACE, rng.sample(GROUPS, rng.randint(1, 2))]))
    asked = []
    for _ in range(queries + WARM_UP):
        row = rng.randrange(size)
        words = texts[row].replace(".", "").split()
        start = rng.randrange(max(1, len(words) - 5))
        text = " ".join(words[start : start + rng.randint(2, 5)])
        q = centres[doc_cluster[row // PER_DOC]] + gen.standard_normal(DIM, dtype=np.float32)
        asked.append((text, (q / np.linalg.norm(q)).astype(np.float32)))
    return Corpus(texts, vectors.astype(np.float32), acls, asked)


def confluence_acls(rng: random.Random, docs: int, readable: int) -> list[Acl]:
    """Acls of ``docs`` documents, exactly ``readable`` of them readable by NARROW (and all by
    BROAD): a space clause (the space's group and two of its users) and for 85% one or two
    restriction clauses of 1–4 users or groups."""
    mine = {USERS[0], TEAMS_[0], TEAMS_[1]}
    others = [p for p in USERS + TEAMS_ if p not in mine]
    admins = [rng.sample(USERS[1:], 2) for _ in range(SPACES)]
    chosen = set(rng.sample(range(docs), readable))
    acls = []
    for d in range(docs):
        if d in chosen:  # in one of the reader's spaces, each restriction naming them
            space = rng.randrange(2)
            clauses = [
                [rng.choice(sorted(mine, key=str)), *rng.sample(others, rng.randint(0, 3))]
                for _ in range(rng.choice((0, 1, 1, 2)))
            ]
        else:  # another space, or restricted to others
            space = rng.randrange(SPACES)
            count = rng.choice((1, 1, 2)) if space < 2 else rng.choice((0, 1, 1, 1, 1, 1, 2))
            clauses = [rng.sample(others, rng.randint(1, 4)) for _ in range(count)]
        acls.append(Acl.of([[SPACE_GROUPS[space], *admins[space]], *clauses]))
    return acls


def build(path: Path, data: Corpus, model_id: str) -> SqliteIndex:
    """An index holding the corpus, one document per ``PER_DOC`` chunks."""
    index = SqliteIndex(path)
    for d in range(len(data.acls)):
        rewrite(index, data, d, model_id)
    return index


def rewrite(index: SqliteIndex, data: Corpus, d: int, model_id: str) -> None:
    """(Re-)index document ``d`` of the corpus."""
    doc_id = f"doc{d}"
    rows = range(d * PER_DOC, (d + 1) * PER_DOC)
    chunks = [
        IndexedChunk(
            Chunk(f"{doc_id}:{i}", doc_id, i, data.texts[r], f"ENG › Page {d}", 60),
            data.vectors[r],
        )
        for i, r in enumerate(rows)
    ]
    doc = IndexDoc(doc_id, str(d), f"Page {d}", f"https://wiki/{d}", data.acls[d], "ENG")
    index.replace_document(doc, chunks, model_id)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of ``samples``."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[94]


def measure(size: int, queries: int) -> dict[str, tuple[float, float]]:
    """p50/p95 latencies (ms) of bare numpy, each leg and hybrid search at ``size`` chunks."""
    data = corpus(size, queries)
    embedder = Precomputed()
    for text, vec in data.queries:
        embedder.vectors[text] = vec
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index = build(Path(tmp) / "bench.db", data, embedder.model_id)
        print(f"  built {size} chunks in {time.perf_counter() - start:.1f} s", flush=True)
        retriever = Retriever(index, embedder, parallel=False)
        overlapped = Retriever(index, embedder, parallel=True)
        fts = SqliteIndex(Path(tmp) / "bench.db", keyword_memory=False)
        matrix = np.ascontiguousarray(data.vectors)
        none = SearchFilters()
        start = time.perf_counter()
        index.keyword("warm", READER, none, 50)
        loaded = time.perf_counter() - start
        print(f"  keyword lexicon loaded in {loaded:.1f} s", flush=True)

        def bare(q: np.ndarray) -> np.ndarray:
            scores = matrix @ q
            top = np.argpartition(scores, len(scores) - 10)[-10:]
            return top[np.argsort(-scores[top])]

        runs: dict[str, Callable[[str, np.ndarray], object]] = {
            "bare numpy": lambda _t, q: bare(q),
            "hybrid + Acl": lambda t, _q: retriever.search(t, READER, k=10),
            "hybrid, legs overlapped": lambda t, _q: overlapped.search(t, READER, k=10),
            "keyword leg": lambda t, _q: index.keyword(t, READER, none, 50),
            "vector leg": lambda _t, q: index.vector(q, embedder.model_id, READER, none, 50),
        }
        warm, asked = data.queries[:WARM_UP], data.queries[WARM_UP:]
        for text, vec in warm:  # loads the vectors, fills caches
            for run in runs.values():
                run(text, vec)
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for text, vec in asked:  # interleaved, so the runs share the noise
            for name, run in runs.items():
                start = time.perf_counter()
                run(text, vec)
                samples[name].append((time.perf_counter() - start) * 1000)
        samples["keyword leg, FTS5"] = []  # a pass of its own: SQLite evicts the CPU caches
        for text, _ in asked:
            start = time.perf_counter()
            fts.keyword(text, READER, none, 50)
            samples["keyword leg, FTS5"].append((time.perf_counter() - start) * 1000)
        rng = random.Random(size)
        samples["hybrid, after a write"] = []
        for text, _ in asked:
            rewrite(index, data, rng.randrange(len(data.acls)), embedder.model_id)
            start = time.perf_counter()
            retriever.search(text, READER, k=10)
            samples["hybrid, after a write"].append((time.perf_counter() - start) * 1000)
        assert all(retriever.search(t, READER, k=10) for t, _ in asked[:5])
        assert retriever.dropped == overlapped.dropped == 0
        overlapped.close()
        fts.close()
        index.close()
    return {name: percentiles(values) for name, values in samples.items()}


def measure_acl(size: int, queries: int) -> dict[str, tuple[float, float]]:
    """p50/p95 latencies (ms) of hybrid search and each leg at ``size`` chunks, for a reader
    who may see 1% of the chunks and for one who may see all of them."""
    data = corpus(size, queries)
    docs = size // PER_DOC
    data.acls = confluence_acls(random.Random(size), docs, docs // 100)
    narrow, broad = frozenset(NARROW), frozenset(BROAD)
    readable = sum(PER_DOC for acl in data.acls if acl.admits(narrow))
    assert readable * 100 == size, f"the narrow reader may see {readable} of {size} chunks"
    assert all(acl.admits(broad) for acl in data.acls)
    embedder = Precomputed()
    for text, vec in data.queries:
        embedder.vectors[text] = vec
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index = build(Path(tmp) / "acl.db", data, embedder.model_id)
        print(
            f"  built {size} chunks with Confluence-like Acls in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        retriever = Retriever(index, embedder, parallel=False)
        none = SearchFilters()
        model = embedder.model_id
        found: list[Hit] = []
        runs: dict[str, Callable[[str, np.ndarray], object]] = {
            "hybrid, 1% reader": lambda t, _q: found.extend(retriever.search(t, narrow, k=10)),
            "hybrid, reads all": lambda t, _q: retriever.search(t, broad, k=10),
            "keyword leg, 1% reader": lambda t, _q: index.keyword(t, narrow, none, 50),
            "keyword leg, reads all": lambda t, _q: index.keyword(t, broad, none, 50),
            "vector leg, 1% reader": lambda _t, q: index.vector(q, model, narrow, none, 50),
            "vector leg, reads all": lambda _t, q: index.vector(q, model, broad, none, 50),
        }
        names = list(runs)
        warm, asked = data.queries[:WARM_UP], data.queries[WARM_UP:]
        for text, vec in warm:
            for run in runs.values():
                run(text, vec)
        found.clear()
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for i, (text, vec) in enumerate(asked):  # pairs in alternating order: neither warms
            for pair in (names[0:2], names[2:4], names[4:6]):  # the other's caches each time
                for name in pair if i % 2 == 0 else pair[::-1]:
                    start = time.perf_counter()
                    runs[name](text, vec)
                    samples[name].append((time.perf_counter() - start) * 1000)
        assert found, "the 1% reader found nothing"
        assert all(data.acls[int(h.document_id[3:])].admits(narrow) for h in found)
        assert retriever.dropped == 0
        index.close()
    return {name: percentiles(values) for name, values in samples.items()}


def main() -> None:
    """Measure and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="queries per size")
    parser.add_argument(
        "--acl-size", type=int, default=100_000, help="chunks of the Acl selectivity run (0: none)"
    )
    args = parser.parse_args()
    print(f"{'chunks':>8} {'search':<24} {'p50 ms':>8} {'p95 ms':>8} {'p95 / bare':>10}")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip() and int(s) > 0]
    for size in sizes:
        figures = measure(size, args.queries)
        bare95 = figures["bare numpy"][1]
        for name, (p50, p95) in figures.items():
            print(f"{size:>8} {name:<24} {p50:>8.2f} {p95:>8.2f} {p95 / bare95:>9.2f}×")
    if args.acl_size > 0:
        print(f"{'chunks':>8} {'search':<24} {'p50 ms':>8} {'p95 ms':>8} {'p95 / all':>10}")
        figures = measure_acl(args.acl_size, args.queries)
        for name, (p50, p95) in figures.items():
            unfiltered = figures[name.replace("1% reader", "reads all")][1]
            print(
                f"{args.acl_size:>8} {name:<24} {p50:>8.2f} {p95:>8.2f} {p95 / unfiltered:>9.2f}×"
            )


if __name__ == "__main__":
    main()
