"""One batch of an upsert between chunking and storing: which documents changed, their chunks,
and the chunk texts still waiting for vectors (a sync pipeline embeds them ahead of the store)."""

from __future__ import annotations

import numpy as np

from restsync.kb.store import DocumentRecord
from restsync.kb.types import UpsertCounts


class UpsertPlan:
    """A batch chunked and checked against the store, waiting for the vectors of `texts_to_embed`."""

    def __init__(self, records: list[DocumentRecord], unchanged: list[str], texts: dict[str, str],
                 vectors: dict[str, np.ndarray], *, new: int):
        self.records = records
        self.unchanged = unchanged
        self._vectors = vectors
        self._to_embed = [embed_hash for embed_hash in texts if embed_hash not in vectors]
        self.texts_to_embed = [texts[embed_hash] for embed_hash in self._to_embed]
        self.counts = UpsertCounts(new=new, updated=len(records) - new, unchanged=len(unchanged),
                                   chunks_embedded=len(self._to_embed))

    def missing_vectors(self) -> bool:
        return any(embed_hash not in self._vectors for embed_hash in self._to_embed)

    def fill(self, matrix: np.ndarray) -> None:
        """The vectors of `texts_to_embed`, in that order."""
        if len(matrix) != len(self._to_embed):
            raise ValueError(f"expected {len(self._to_embed)} vectors, got {len(matrix)}")
        self._vectors.update(zip(self._to_embed, matrix))

    def vectored_records(self) -> list[DocumentRecord]:
        for record in self.records:
            for chunk in record.chunks:
                chunk.vector = self._vectors[chunk.embed_hash]
        return self.records
