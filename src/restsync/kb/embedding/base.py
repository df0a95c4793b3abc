"""The embedder contract: texts in, L2-normalised float32 rows out, in one batched call."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from restsync.kb.chunking import TokenSpans


@runtime_checkable
class Embedder(Protocol):
    # Stored with the knowledge base: vectors of different embedders never mix.
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32, each row of unit length."""
        ...


def token_spans_of(embedder: Embedder) -> TokenSpans | None:
    """The embedder's own tokenizer, when it has one, so chunks are sized in its tokens."""
    return getattr(embedder, "token_spans", None)


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms
