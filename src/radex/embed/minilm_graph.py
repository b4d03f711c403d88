"""Build the all-MiniLM-L6-v2 sentence encoder as an ONNX graph, straight from its weights.

The graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, batch × tokens,
right-padded) and returns ``embedding`` (float32, batch × 384): the BERT encoder's last hidden
state, mean-pooled over the attention mask and L2-normalised, as sentence-transformers does.

Two variants compute the same function. ``"plain"`` uses only standard ONNX operators (opset 17).
``"fused"`` uses onnxruntime's ``com.microsoft`` kernels for transformers (EmbedLayerNormalization,
Attention, SkipLayerNormalization, BiasGelu), which skip work on padding and save memory passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

Variant = Literal["plain", "fused"]

HIDDEN = 384
HEADS = 12
LAYERS = 6
INTERMEDIATE = 1536
LAYER_NORM_EPS = 1e-12
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "embedding"


@dataclass
class _Graph:
    """Nodes and initialisers collected while building, with fresh names."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0

    def const(self, name: str, value: np.ndarray) -> str:
        """Add an initialiser and return its name."""
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        """Add a single-output node and return its output name."""
        self.count += 1
        out = f"{op_type.lower()}_{self.count}"
        node = helper.make_node(op_type, inputs, [out], domain=domain or None, **attrs)
        self.nodes.append(node)
        return out


def _f32(value: np.ndarray) -> np.ndarray:
    """A C-contiguous float32 copy."""
    return np.ascontiguousarray(value, dtype=np.float32)


def _i64(*values: int) -> np.ndarray:
    """A 1-D int64 array."""
    return np.array(values, dtype=np.int64)


def _plain_embeddings(g: _Graph, w: Mapping[str, np.ndarray]) -> tuple[str, str]:
    """Word + position + token-type embeddings, LayerNorm; also the additive attention mask."""
    word = g.op(
        "Gather", [g.const("word_emb", _f32(w["embeddings.word_embeddings.weight"])), INPUTS[0]]
    )
    types = g.op(
        "Gather",
        [g.const("type_emb", _f32(w["embeddings.token_type_embeddings.weight"])), INPUTS[2]],
    )
    length = g.op("Gather", [g.op("Shape", [INPUTS[0]]), g.const("one", _i64(1))], axis=0)
    positions = g.op(
        "Slice",
        [
            g.const("pos_emb", _f32(w["embeddings.position_embeddings.weight"])),
            g.const("zero", _i64(0)),
            length,
            g.const("zero_axis", _i64(0)),
        ],
    )
    summed = g.op("Add", [g.op("Add", [word, types]), positions])
    hidden = _layer_norm(g, summed, w, "embeddings.LayerNorm", "emb_ln")
    mask = g.op("Cast", [INPUTS[1]], to=TensorProto.FLOAT)
    shifted = g.op("Sub", [mask, g.const("f_one", np.array(1.0, np.float32))])
    additive = g.op("Mul", [shifted, g.const("big", np.array(10000.0, np.float32))])
    return hidden, g.op("Unsqueeze", [additive, g.const("axes_1_2", _i64(1, 2))])


def _layer_norm(g: _Graph, x: str, w: Mapping[str, np.ndarray], key: str, name: str) -> str:
    """LayerNormalization over the hidden axis with the model's gamma and beta."""
    gamma = g.const(f"{name}_g", _f32(w[f"{key}.weight"]))
    beta = g.const(f"{name}_b", _f32(w[f"{key}.bias"]))
    return g.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=LAYER_NORM_EPS)


def _qkv(w: Mapping[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """The packed [hidden, 3·hidden] projection and bias, queries first."""
    parts = ("query", "key", "value")
    weight = np.concatenate([w[f"{prefix}.attention.self.{p}.weight"].T for p in parts], axis=1)
    bias = np.concatenate([w[f"{prefix}.attention.self.{p}.bias"] for p in parts])
    return _f32(weight), _f32(bias)


def _linear(g: _Graph, x: str, w: Mapping[str, np.ndarray], key: str, name: str) -> str:
    """x · Wᵀ + b for a torch Linear layer's weights."""
    weight = g.const(f"{name}_w", _f32(w[f"{key}.weight"].T))
    return g.op("Add", [g.op("MatMul", [x, weight]), g.const(f"{name}_b", _f32(w[f"{key}.bias"]))])


def _plain_layer(g: _Graph, x: str, mask: str, w: Mapping[str, np.ndarray], i: int) -> str:
    """One encoder layer (self-attention, then the GELU feed-forward) in standard operators."""
    prefix, head = f"encoder.layer.{i}", HIDDEN // HEADS
    weight, bias = _qkv(w, prefix)
    packed = g.op(
        "Add", [g.op("MatMul", [x, g.const(f"l{i}_qkv_w", weight)]), g.const(f"l{i}_qkv_b", bias)]
    )
    split = g.op("Reshape", [packed, g.const(f"l{i}_qkv_shape", _i64(0, 0, 3, HEADS, head))])
    heads = g.op("Transpose", [split], perm=[2, 0, 3, 1, 4])  # 3, batch, heads, tokens, head
    q, k, v = (
        g.op("Gather", [heads, g.const(f"l{i}_idx{j}", np.array(j, np.int64))], axis=0)
        for j in range(3)
    )
    scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scaled = g.op(
        "Mul", [scores, g.const(f"l{i}_scale", np.array(1 / math.sqrt(head), np.float32))]
    )
    probs = g.op("Softmax", [g.op("Add", [scaled, mask])], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    merged = g.op("Reshape", [context, g.const(f"l{i}_merge", _i64(0, 0, HIDDEN))])
    attended = _linear(g, merged, w, f"{prefix}.attention.output.dense", f"l{i}_ao")
    x = _layer_norm(
        g, g.op("Add", [attended, x]), w, f"{prefix}.attention.output.LayerNorm", f"l{i}_ln1"
    )
    inner = _linear(g, x, w, f"{prefix}.intermediate.dense", f"l{i}_ff1")
    scaled_in = g.op(
        "Mul", [inner, g.const(f"l{i}_rsqrt2", np.array(1 / math.sqrt(2), np.float32))]
    )
    erf = g.op("Add", [g.op("Erf", [scaled_in]), g.const(f"l{i}_one", np.array(1.0, np.float32))])
    gelu = g.op(
        "Mul", [g.op("Mul", [inner, erf]), g.const(f"l{i}_half", np.array(0.5, np.float32))]
    )
    out = _linear(g, gelu, w, f"{prefix}.output.dense", f"l{i}_ff2")
    return _layer_norm(g, g.op("Add", [out, x]), w, f"{prefix}.output.LayerNorm", f"l{i}_ln2")


def _fused_embeddings(g: _Graph, w: Mapping[str, np.ndarray]) -> tuple[str, str]:
    """EmbedLayerNormalization: embeddings + LayerNorm, and the per-row token counts."""
    ids, mask, types = (g.op("Cast", [name], to=TensorProto.INT32) for name in INPUTS)
    node_inputs = [
        ids,
        types,
        g.const("word_emb", _f32(w["embeddings.word_embeddings.weight"])),
        g.const("pos_emb", _f32(w["embeddings.position_embeddings.weight"])),
        g.const("type_emb", _f32(w["embeddings.token_type_embeddings.weight"])),
        g.const("emb_ln_g", _f32(w["embeddings.LayerNorm.weight"])),
        g.const("emb_ln_b", _f32(w["embeddings.LayerNorm.bias"])),
        mask,
    ]
    g.count += 1
    hidden, lengths = f"emb_{g.count}", f"mask_index_{g.count}"
    node = helper.make_node(
        "EmbedLayerNormalization",
        node_inputs,
        [hidden, lengths],
        domain="com.microsoft",
        epsilon=LAYER_NORM_EPS,
    )
    g.nodes.append(node)
    return hidden, lengths


def _skip_layer_norm(
    g: _Graph, x: str, skip: str, bias: str, w: Mapping[str, np.ndarray], key: str, name: str
) -> str:
    """SkipLayerNormalization: LayerNorm(x + bias + skip)."""
    gamma = g.const(f"{name}_g", _f32(w[f"{key}.weight"]))
    beta = g.const(f"{name}_b", _f32(w[f"{key}.bias"]))
    return g.op(
        "SkipLayerNormalization",
        [x, skip, gamma, beta, bias],
        domain="com.microsoft",
        epsilon=LAYER_NORM_EPS,
    )


def _fused_layer(g: _Graph, x: str, lengths: str, w: Mapping[str, np.ndarray], i: int) -> str:
    """One encoder layer with onnxruntime's fused transformer kernels."""
    prefix = f"encoder.layer.{i}"
    weight, bias = _qkv(w, prefix)
    attn_in = [x, g.const(f"l{i}_qkv_w", weight), g.const(f"l{i}_qkv_b", bias), lengths]
    attended = g.op("Attention", attn_in, domain="com.microsoft", num_heads=HEADS)
    dense = g.op(
        "MatMul",
        [attended, g.const(f"l{i}_ao_w", _f32(w[f"{prefix}.attention.output.dense.weight"].T))],
    )
    ao_bias = g.const(f"l{i}_ao_b", _f32(w[f"{prefix}.attention.output.dense.bias"]))
    x = _skip_layer_norm(
        g, dense, x, ao_bias, w, f"{prefix}.attention.output.LayerNorm", f"l{i}_ln1"
    )
    inner = g.op(
        "MatMul", [x, g.const(f"l{i}_ff1_w", _f32(w[f"{prefix}.intermediate.dense.weight"].T))]
    )
    gelu = g.op(
        "BiasGelu",
        [inner, g.const(f"l{i}_ff1_b", _f32(w[f"{prefix}.intermediate.dense.bias"]))],
        domain="com.microsoft",
    )
    out = g.op("MatMul", [gelu, g.const(f"l{i}_ff2_w", _f32(w[f"{prefix}.output.dense.weight"].T))])
    ff2_bias = g.const(f"l{i}_ff2_b", _f32(w[f"{prefix}.output.dense.bias"]))
    return _skip_layer_norm(g, out, x, ff2_bias, w, f"{prefix}.output.LayerNorm", f"l{i}_ln2")


def _pool(g: _Graph, hidden: str) -> str:
    """Mean over the tokens the attention mask admits, then L2 normalisation."""
    mask = g.op(
        "Unsqueeze",
        [g.op("Cast", [INPUTS[1]], to=TensorProto.FLOAT), g.const("axis_last", _i64(-1))],
    )
    axis = g.const("axis_tokens", _i64(1))
    total = g.op("ReduceSum", [g.op("Mul", [hidden, mask]), axis], keepdims=0)
    count = g.op(
        "Max",
        [
            g.op("ReduceSum", [mask, axis], keepdims=0),
            g.const("min_count", np.array(1e-9, np.float32)),
        ],
    )
    mean = g.op("Div", [total, count])
    square = g.op("ReduceSum", [g.op("Mul", [mean, mean]), axis], keepdims=1)
    norm = g.op("Max", [g.op("Sqrt", [square]), g.const("min_norm", np.array(1e-12, np.float32))])
    return g.op("Div", [mean, norm])


def build_model(weights: Mapping[str, np.ndarray], variant: Variant = "fused") -> onnx.ModelProto:
    """The whole sentence encoder as an ONNX model, weights embedded as fp32 initialisers."""
    g = _Graph()
    if variant == "plain":
        hidden, mask = _plain_embeddings(g, weights)
        for i in range(LAYERS):
            hidden = _plain_layer(g, hidden, mask, weights, i)
    else:
        hidden, lengths = _fused_embeddings(g, weights)
        for i in range(LAYERS):
            hidden = _fused_layer(g, hidden, lengths, weights, i)
    pooled = _pool(g, hidden)
    g.nodes.append(helper.make_node("Identity", [pooled], [OUTPUT]))
    inputs = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in INPUTS
    ]
    output = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", HIDDEN])
    graph = helper.make_graph(g.nodes, f"all-MiniLM-L6-v2-{variant}", inputs, [output], g.inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if variant == "fused":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="radex")
    model.ir_version = 8
    return model
