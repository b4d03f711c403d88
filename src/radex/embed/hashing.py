"""A deterministic feature-hashing embedder: fast, dependency-free, for tests of other parts.

Each lowercased word and each pair of adjacent words is hashed (blake2b, so the same text gives
the same vector in every process and on every machine) to a signed bucket; the counts are
L2-normalised. Texts sharing words score higher than texts that share none; it knows nothing of
meaning beyond that.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from radex.embed.base import Embedder, empty_vectors, l2_normalise

_WORD = re.compile(r"\w+")
_EMPTY = "\x00empty"  # the feature of a text with none, so that every row has unit length


@lru_cache(maxsize=4096)  # the common features; a bigger cache only grows with the corpus
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """The bucket and sign a feature hashes to."""
    value = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return (value >> 1) % dim, 1.0 if value & 1 else -1.0


class HashingEmbedder(Embedder):
    """Word unigram + bigram feature hashing into ``dim`` signed buckets, L2-normalised."""

    def __init__(self, dim: int = 256, max_tokens: int = 256) -> None:
        if dim < 2:
            raise ValueError(f"dim must be at least 2, not {dim}")
        self.model_id = f"hashing-{dim}"
        self.dim = dim
        self.max_tokens = max_tokens

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: float32 (len(texts), dim), unit rows."""
        if not texts:
            return empty_vectors(self.dim)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for feature in features:
                bucket, sign = _bucket(feature, self.dim)
                out[row, bucket] += sign
            if not out[row].any():  # no words, or signs that cancelled out
                bucket, sign = _bucket(_EMPTY, self.dim)
                out[row, bucket] = sign
        return l2_normalise(out)

    def count_tokens(self, text: str) -> int:
        """The words of ``text``."""
        return len(_WORD.findall(text))
