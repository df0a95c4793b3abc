"""Build an ONNX graph of a BERT sentence encoder (mean pooling) straight from its safetensors.

No torch, no exporter and no `onnx` package: the graph is a few dozen standard ONNX ops
written out here (serialized by `onnx_proto.py`), the weights read from the `.safetensors`
file with numpy. ONNX Runtime fuses the layer norms, GELU
and matmuls itself. Inputs: `input_ids` and `attention_mask` (int64, batch x tokens); output:
`embedding` (float32, batch x hidden), the masked mean of the last layer, not yet normalised.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

from restsync.kb.embedding import onnx_proto as proto

OPSET = 17  # LayerNormalization is standard from 17
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a `.safetensors` file (an 8-byte header length, a JSON header, raw data)."""
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in _DTYPES:
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=_DTYPES[info["dtype"]], count=math.prod(info["shape"]) if info["shape"] else 1,
                              offset=base + start)
        tensors[name] = array.reshape(info["shape"])
        assert array.nbytes == end - start
    return tensors


def build_bert_graph(model_dir: Path) -> bytes:
    """The serialized ONNX model for the BERT checkpoint in `model_dir` (config.json + model.safetensors)."""
    config = json.loads((model_dir / "config.json").read_text())
    weights = read_safetensors(model_dir / "model.safetensors")
    weights = {name.removeprefix("bert."): value for name, value in weights.items()}
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_dim = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    if config.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"unsupported activation {config.get('hidden_act')!r}")

    nodes: list[bytes] = []
    initializers: list[bytes] = []
    counter = [0]

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(proto.tensor(name, value))
        return name

    def op(kind: str, inputs: list[str], **attrs: Any) -> str:
        counter[0] += 1
        output = f"{kind.lower()}_{counter[0]}"
        nodes.append(proto.node(kind, inputs, [output], **attrs))
        return output

    def linear(x: str, prefix: str) -> str:
        # torch stores (out, in); x @ W.T + b
        w = const(f"{prefix}.w", weights[f"{prefix}.weight"].T.astype(np.float32))
        b = const(f"{prefix}.b", weights[f"{prefix}.bias"].astype(np.float32))
        return op("Add", [op("MatMul", [x, w]), b])

    def layer_norm(x: str, prefix: str) -> str:
        gamma = const(f"{prefix}.gamma", weights[f"{prefix}.weight"].astype(np.float32))
        beta = const(f"{prefix}.beta", weights[f"{prefix}.bias"].astype(np.float32))
        return op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=eps)

    # Embeddings: words + positions + token type 0 (every input is one segment).
    positions = weights["embeddings.position_embeddings.weight"] + weights["embeddings.token_type_embeddings.weight"][0]
    const("positions", positions.astype(np.float32))
    const("words", weights["embeddings.word_embeddings.weight"].astype(np.float32))
    const("zero", np.array([0], dtype=np.int64))
    const("one", np.array([1], dtype=np.int64))
    const("two", np.array([2], dtype=np.int64))
    seq_len = op("Slice", [op("Shape", ["input_ids"]), "one", "two"])
    position_rows = op("Slice", ["positions", "zero", seq_len, "zero"])
    x = layer_norm(op("Add", [op("Gather", ["words", "input_ids"], axis=0), position_rows]), "embeddings.LayerNorm")

    # Additive attention mask: 0 where a token is real, a large negative where it is padding.
    mask_f = op("Cast", ["attention_mask"], to=proto.FLOAT)
    const("mask_axes", np.array([1, 2], dtype=np.int64))
    const("neg", np.array(-1e9, dtype=np.float32))
    const("f_one", np.array(1.0, dtype=np.float32))
    additive = op("Mul", [op("Sub", ["f_one", op("Unsqueeze", [mask_f, "mask_axes"])]), "neg"])

    const("split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    const("merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    const("sqrt_half", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))

    for index in range(int(config["num_hidden_layers"])):
        prefix = f"encoder.layer.{index}"
        attention = f"{prefix}.attention"
        # One matmul for query, key and value, then split.
        qkv_w = np.concatenate([weights[f"{attention}.self.{part}.weight"].T for part in ("query", "key", "value")], axis=1)
        qkv_b = np.concatenate([weights[f"{attention}.self.{part}.bias"] for part in ("query", "key", "value")])
        qkv = op("Add", [op("MatMul", [x, const(f"{prefix}.qkv.w", qkv_w.astype(np.float32))]),
                         const(f"{prefix}.qkv.b", qkv_b.astype(np.float32))])
        counter[0] += 1
        q, k, v = (f"q_{counter[0]}", f"k_{counter[0]}", f"v_{counter[0]}")
        const(f"{prefix}.qkv.split", np.array([hidden, hidden, hidden], dtype=np.int64))
        nodes.append(proto.node("Split", [qkv, f"{prefix}.qkv.split"], [q, k, v], axis=-1))
        q = op("Transpose", [op("Reshape", [q, "split_heads"])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [k, "split_heads"])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [v, "split_heads"])], perm=[0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), "scale"]), additive])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), "merge_heads"])
        x = layer_norm(op("Add", [linear(context, f"{attention}.output.dense"), x]), f"{attention}.output.LayerNorm")
        inner = linear(x, f"{prefix}.intermediate.dense")
        gelu = op("Mul", [op("Mul", [inner, "half"]), op("Add", [op("Erf", [op("Mul", [inner, "sqrt_half"])]), "f_one"])])
        x = layer_norm(op("Add", [linear(gelu, f"{prefix}.output.dense"), x]), f"{prefix}.output.LayerNorm")

    # Mean over real tokens.
    const("token_axis", np.array([1], dtype=np.int64))
    mask_3d = op("Unsqueeze", [mask_f, "two"])
    summed = op("ReduceSum", [op("Mul", [x, mask_3d]), "token_axis"], keepdims=0)
    counts = op("ReduceSum", [mask_3d, "token_axis"], keepdims=0)
    const("tiny", np.array(1e-9, dtype=np.float32))
    nodes.append(proto.node("Div", [summed, op("Max", [counts, "tiny"])], ["embedding"]))

    return proto.model(
        nodes=nodes,
        initializers=initializers,
        inputs=[proto.value_info("input_ids", proto.INT64, ["batch", "tokens"]),
                proto.value_info("attention_mask", proto.INT64, ["batch", "tokens"])],
        outputs=[proto.value_info("embedding", proto.FLOAT, ["batch", hidden])],
        name="sentence_encoder",
        opset=OPSET,
        ir_version=8,  # readable by every onnxruntime that supports opset 17
        producer="restsync",
    )
