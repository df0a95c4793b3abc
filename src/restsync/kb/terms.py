"""Query terms: the words keyword search looks for and keyword coverage is measured on."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 32
# Words that match most texts: they cost time, barely move BM25 and make coverage lie.
STOPWORDS = frozenset(
    """a about after all am an and any are as at be been but by can could did do does for from get
    had has have he her him his how i if in into is it its me my no not of on or our she so some such
    than that the their them then there these they this to us was we were what when where which while
    who why will with would you your""".split()
)


def query_terms(text: str) -> list[str]:
    """Distinct lowercase words of the query without stopwords (all words if only stopwords)."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))
    return ([word for word in words if word not in STOPWORDS] or words)[:MAX_TERMS]


def words_of(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def term_matches(term: str, words: set[str]) -> bool:
    """Exact word, or a shared stem (a crude one: all but the last two letters, 4 at least),
    so `darker` finds `dark` as FTS5's stemmer would find `verified` for `verify`."""
    if term in words:
        return True
    if len(term) <= 4:
        return False
    stem = term[: max(4, len(term) - 2)]
    return any(word.startswith(stem) for word in words)
