"""The embedding interface: one required method, ``embed_batch``; conveniences built on it."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

_APPROX_TOKEN = re.compile(r"\w+|[^\w\s]")


class Embedder(ABC):
    """Turns texts into float32, L2-normalised vectors of one fixed model.

    ``model_id`` names the model and its exact weights: vectors of different ids live in different
    spaces and must never be compared or stored together. ``max_tokens`` is the model's window;
    text past it is cut off, so chunkers should size pieces to fit.
    """

    model_id: str
    dim: int
    max_tokens: int

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in one go: float32 array of shape (len(texts), dim), unit rows."""

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed any number of texts in length-sorted batches; rows follow the input order."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        lengths = [min(self.count_tokens(text), self.max_tokens) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
        for start in range(0, len(order), batch_size):
            picked = order[start : start + batch_size]
            out[picked] = self.embed_batch([texts[i] for i in picked])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one text: a 1-D float32 vector of length ``dim``."""
        return np.asarray(self.embed_batch([text])[0])

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` holds, without special tokens (here: a cheap approximation)."""
        return len(_APPROX_TOKEN.findall(text))


def empty_vectors(dim: int) -> np.ndarray:
    """The result of embedding no texts: a float32 array of shape (0, dim)."""
    return np.empty((0, dim), dtype=np.float32)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero), as float32."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return result
