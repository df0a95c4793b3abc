"""Turning free text into an FTS5 MATCH expression (any term may match; BM25 ranks)."""

from __future__ import annotations

from restsync.kb.terms import query_terms


def match_expression(text: str) -> str | None:
    terms = query_terms(text)
    if not terms:
        return None
    # Quoted, so FTS5 operators and column names in the query are taken literally.
    return " OR ".join(f'"{term}"' for term in terms)
