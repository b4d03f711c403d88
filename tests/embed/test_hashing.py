"""HashingEmbedder, and the Embedder conveniences (bucketing, order, empty input) through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from radex.embed import Embedder, HashingEmbedder

TEXTS = [
    "Reset your VPN password from the self-service portal.",
    "How to reset the VPN password in the self-service portal",
    "The cafeteria serves lasagne on Thursdays.",
    "",
    "!!!",
]


def test_identity_and_shape() -> None:
    embedder = HashingEmbedder()
    assert (embedder.model_id, embedder.dim, embedder.max_tokens) == ("hashing-256", 256, 256)
    assert HashingEmbedder(dim=64).model_id == "hashing-64"
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 256)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_deterministic_within_and_across_processes() -> None:
    embedder = HashingEmbedder(dim=32)
    here = embedder.embed_query(TEXTS[0])
    assert np.array_equal(here, HashingEmbedder(dim=32).embed_query(TEXTS[0]))
    code = (
        "import json; from radex.embed import HashingEmbedder;"
        f"print(json.dumps(HashingEmbedder(dim=32).embed_query({TEXTS[0]!r}).tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # Python's hash() would change with it
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert np.array_equal(np.array(json.loads(result.stdout), dtype=np.float32), here)


def test_similar_texts_score_higher_than_unrelated_ones() -> None:
    reset, how_to_reset, lunch = HashingEmbedder().embed(TEXTS[:3])
    assert float(reset @ how_to_reset) > 0.4
    assert float(reset @ how_to_reset) > float(reset @ lunch) + 0.3


def test_case_and_punctuation_do_not_matter() -> None:
    embedder = HashingEmbedder()
    np.testing.assert_array_equal(
        embedder.embed_query("Reset the VPN, now!"), embedder.embed_query("reset the vpn now")
    )


def test_word_order_matters_through_bigrams() -> None:
    embedder = HashingEmbedder()
    forward, backward = embedder.embed(["dog bites man", "man bites dog"])
    assert 0.0 < float(forward @ backward) < 0.99


def test_empty_input_and_texts_without_words() -> None:
    embedder = HashingEmbedder(dim=16)
    assert embedder.embed([]).shape == (0, 16)
    assert embedder.embed_batch([]).shape == (0, 16)
    np.testing.assert_array_equal(embedder.embed_query(""), embedder.embed_query("!!!"))
    assert float(np.linalg.norm(embedder.embed_query(""))) == pytest.approx(1.0)


def test_count_tokens() -> None:
    assert HashingEmbedder().count_tokens("Hello, wide world!") == 3


def test_rejects_a_degenerate_dimension() -> None:
    with pytest.raises(ValueError, match="dim"):
        HashingEmbedder(dim=1)


class _Recording(HashingEmbedder):
    """Remembers the batches ``embed`` hands to ``embed_batch``."""

    def __init__(self) -> None:
        super().__init__(dim=64, max_tokens=8)
        self.batches: list[list[str]] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return super().embed_batch(texts)


def test_embed_buckets_by_length_and_restores_the_order() -> None:
    texts = [" ".join(["w"] * n) + f" t{n}" for n in (3, 0, 9, 1, 5, 2, 12, 4)]
    embedder = _Recording()
    vectors = embedder.embed(texts, batch_size=3)
    lengths = [[min(embedder.count_tokens(t), 8) for t in batch] for batch in embedder.batches]
    assert [len(b) for b in embedder.batches] == [3, 3, 2]
    flat = [n for batch in lengths for n in batch]
    assert flat == sorted(flat, reverse=True)  # longest first, so each batch pads little
    np.testing.assert_array_equal(vectors, HashingEmbedder(dim=64).embed_batch(texts))


def test_embed_rejects_a_zero_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        HashingEmbedder().embed(["x"], batch_size=0)


def test_embedder_needs_only_embed_batch() -> None:
    class Constant(Embedder):
        model_id, dim, max_tokens = "constant-2", 2, 16

        def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
            return np.tile(np.array([0.6, 0.8], dtype=np.float32), (len(texts), 1))

    embedder = Constant()
    assert embedder.embed(["a", "b", "c"], batch_size=2).shape == (3, 2)
    assert embedder.embed_query("a").tolist() == pytest.approx([0.6, 0.8])
    assert embedder.count_tokens("Hello, world!") == 4  # the approximation: words and marks
