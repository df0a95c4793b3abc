"""Fusing keyword and vector candidates into one ranking, RAGFlow-style:

    score = (1 - w) * keyword + w * vector

`vector` is cosine similarity clipped at 0. `keyword` is BM25 relative to the best BM25
among the candidates, times the share of query terms the chunk contains: a chunk matching
one incidental word of a long question is not a strong keyword hit just because nothing
matched better. `w` is vector_weight (RAGFlow's vector_similarity_weight).

Both parts travel with the fused score (RAGFlow's `term_similarity` and `vector_similarity`),
each None when its side was not searched (`w` = 1 leaves keywords out, `w` = 0 vectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from restsync.kb.store.base import Candidate
from restsync.kb.terms import query_terms, term_matches, words_of


@dataclass(frozen=True, slots=True)
class Scored:
    """A candidate with its fused score and the two parts it was fused from (0..1 each, rounded
    for display: the ranking uses `score`)."""

    score: float
    keyword: float | None  # None: keywords were not searched
    vector: float | None  # None: vectors were not searched
    candidate: Candidate


def fuse(query: str, candidates: Sequence[Candidate], vector_weight: float) -> list[Scored]:
    """Candidates with their fused scores, best first (ties keep candidate order)."""
    terms = query_terms(query)
    best_keyword = max((c.keyword_score for c in candidates if c.keyword_score), default=0.0)
    ranked = []
    for candidate in candidates:
        keyword = 0.0
        if best_keyword > 0 and candidate.keyword_score:
            keyword = candidate.keyword_score / best_keyword * keyword_coverage(terms, candidate)
        vector = max(candidate.vector_score or 0.0, 0.0)
        ranked.append(Scored((1.0 - vector_weight) * keyword + vector_weight * vector,
                             round(keyword, 6) if vector_weight < 1 else None,
                             round(vector, 6) if vector_weight > 0 else None, candidate))
    ranked.sort(key=lambda scored: scored.score, reverse=True)
    return ranked


def keyword_coverage(terms: list[str], candidate: Candidate) -> float:
    if not terms:
        return 0.0
    words = words_of(f"{candidate.title} {candidate.text}")
    return sum(term_matches(term, words) for term in terms) / len(terms)
