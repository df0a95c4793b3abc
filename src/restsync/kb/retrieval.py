"""Fusing keyword and vector candidates into one ranking, RAGFlow-style:

    score = (1 - w) * keyword + w * vector

where `keyword` is BM25 divided by the best BM25 among the candidates (so 1.0 for the best
keyword match, 0 for none) and `vector` is cosine similarity clipped at 0. `w` is the
knowledge base's vector_weight (RAGFlow's vector_similarity_weight).
"""

from __future__ import annotations

from typing import Sequence

from restsync.kb.store.base import Candidate


def fuse(candidates: Sequence[Candidate], vector_weight: float) -> list[tuple[float, Candidate]]:
    """Candidates with their fused scores, best first (ties keep candidate order)."""
    best_keyword = max((c.keyword_score for c in candidates if c.keyword_score), default=0.0)
    ranked = []
    for candidate in candidates:
        keyword = candidate.keyword_score / best_keyword if best_keyword > 0 and candidate.keyword_score else 0.0
        vector = max(candidate.vector_score or 0.0, 0.0)
        ranked.append(((1.0 - vector_weight) * keyword + vector_weight * vector, candidate))
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    return ranked
