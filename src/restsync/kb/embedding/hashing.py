"""A deterministic feature-hashing embedder: no model, no semantics beyond shared words.

For tests that are not about embedding quality and for dry runs; never a default.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import xxhash

from restsync.kb.embedding.base import normalise_rows

_TOKEN = re.compile(r"\w+")


class HashingEmbedder:
    def __init__(self, dimension: int = 64):
        self.dimension = dimension
        self.name = f"hashing-{dimension}"
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                digest = xxhash.xxh64_intdigest(token.encode("utf-8"))
                sign = 1.0 if digest & 1 else -1.0
                matrix[row, (digest >> 1) % self.dimension] += sign
        return normalise_rows(matrix)
