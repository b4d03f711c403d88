"""Embedders: text in, float32 unit vectors out (see docs/embedding.md).

``MiniLMEmbedder`` is imported on first use, so that code needing only the interface or the
hashing embedder does not load onnxruntime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from radex.embed.base import Embedder
from radex.embed.hashing import HashingEmbedder

if TYPE_CHECKING:
    from radex.embed.onnx_minilm import MiniLMEmbedder

__all__ = ["Embedder", "HashingEmbedder", "MiniLMEmbedder"]


def __getattr__(name: str) -> Any:
    """Import ``MiniLMEmbedder`` lazily."""
    if name == "MiniLMEmbedder":
        from radex.embed.onnx_minilm import MiniLMEmbedder

        return MiniLMEmbedder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
