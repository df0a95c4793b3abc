"""Turning free text into an FTS5 MATCH expression (any term may match; BM25 ranks)."""

from __future__ import annotations

import re

_TERM = re.compile(r"\w+", re.UNICODE)
_MAX_TERMS = 32
# Words that match most chunks: they cost time and barely move BM25.
STOPWORDS = frozenset(
    "a an and are as at be by for from has have how i in is it its of on or that the this to was were what when where which who why will with".split()
)


def match_expression(text: str) -> str | None:
    terms = list(dict.fromkeys(term.lower() for term in _TERM.findall(text)))
    useful = [term for term in terms if term not in STOPWORDS] or terms
    if not useful:
        return None
    # Quoted, so FTS5 operators and column names in the query are taken literally.
    return " OR ".join(f'"{term}"' for term in useful[:_MAX_TERMS])
