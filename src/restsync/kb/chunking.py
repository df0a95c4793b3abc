"""Token-aware chunking with overlap that never splits inside a word.

Text is cut on whitespace only; each word costs as many tokens as the embedding model's
tokenizer gives it (a regex approximation of WordPiece when no tokenizer is supplied). A chunk
prefers to end on a sentence boundary in its last 40%; consecutive chunks share up to
`overlap` tokens of whole words so a fact split across a boundary is still found whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

# Returns the (start, end) character span of every token of a text.
TokenSpans = Callable[[str], Sequence[tuple[int, int]]]

_WORD = re.compile(r"\S+")
# Roughly WordPiece: short word pieces and each punctuation mark count as one token.
_APPROX_TOKEN = re.compile(r"\w{1,8}|[^\w\s]")
_SENTENCE_END = re.compile(r"[.!?;:]['\")\]]*$")


def approximate_token_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _APPROX_TOKEN.finditer(text)]


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    text: str
    tokens: int
    title: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def embedding_text(self) -> str:
        return embedding_text(self.title, self.text)


def embedding_text(title: str, text: str) -> str:
    """What gets embedded for a chunk: the title gives it the context its document has.
    (Rebuilt from the stored title and text when lost vectors are re-embedded.)"""
    if not title or text.startswith(title):
        return text
    return f"{title}\n{text}"


class Chunker:
    def __init__(self, chunk_tokens: int = 200, overlap: int = 40, token_spans: TokenSpans | None = None):
        if chunk_tokens < 1 or not 0 <= overlap < chunk_tokens:
            raise ValueError("chunk_tokens must be positive and overlap smaller than it")
        self.chunk_tokens = chunk_tokens
        self.overlap = overlap
        self._token_spans = token_spans or approximate_token_spans

    def chunk(self, text: str, *, title: str = "", metadata: dict[str, Any] | None = None) -> list[Chunk]:
        words = [match.span() for match in _WORD.finditer(text)]
        if not words:
            return []
        costs = self._word_costs(text, words)
        chunks: list[Chunk] = []
        start = 0
        while start < len(words):
            end = self._pack(words, costs, start, text)
            chunks.append(
                Chunk(
                    ordinal=len(chunks),
                    text=text[words[start][0] : words[end - 1][1]],
                    tokens=sum(costs[start:end]),
                    title=title,
                    metadata=dict(metadata or {}),
                )
            )
            if end >= len(words):
                break
            start = self._overlap_start(costs, start, end)
        return chunks

    def _word_costs(self, text: str, words: list[tuple[int, int]]) -> list[int]:
        """Tokens per word: each token is charged to the word its first character is in."""
        costs = [0] * len(words)
        index = 0
        for token_start, _ in self._token_spans(text):
            while index < len(words) - 1 and token_start >= words[index][1]:
                index += 1
            costs[index] += 1
        return [max(cost, 1) for cost in costs]

    def _pack(self, words: list[tuple[int, int]], costs: list[int], start: int, text: str) -> int:
        """End index (exclusive) of the chunk starting at `start`; at least one word."""
        total = costs[start]
        end = start + 1
        while end < len(words) and total + costs[end] <= self.chunk_tokens:
            total += costs[end]
            end += 1
        if end >= len(words):
            return end
        earliest = start + max(1, (end - start) * 3 // 5)
        for boundary in range(end - 1, earliest - 1, -1):
            word_text = text[words[boundary][0] : words[boundary][1]]
            if _SENTENCE_END.search(word_text) or "\n\n" in text[words[boundary][1] : words[boundary + 1][0]]:
                return boundary + 1
        return end

    def _overlap_start(self, costs: list[int], start: int, end: int) -> int:
        """Start of the next chunk: back off whole words worth at most `overlap` tokens."""
        next_start = end
        shared = 0
        while next_start - 1 > start and shared + costs[next_start - 1] <= self.overlap:
            next_start -= 1
            shared += costs[next_start]
        return next_start


def join_chunks(texts: Sequence[str], *, overlapping: bool = True) -> str:
    """Undo chunking: each chunk starts with whole words that end the previous one (the
    overlap), so keep only what is new. The whitespace between chunks becomes one space;
    words and their order are the document's."""
    parts: list[str] = []
    previous = None
    for text in texts:
        if previous is None:
            parts.append(text)
        else:
            parts.append(_new_part(previous, text) if overlapping else " " + text)
        previous = text
    return "".join(parts)


def _new_part(previous: str, text: str) -> str:
    """The part of `text` after the longest word-aligned suffix of `previous` it starts with."""
    for match in _WORD.finditer(previous):
        start = match.start()
        tail = previous[start:]
        if text.startswith(tail) and (len(text) == len(tail) or text[len(tail)].isspace()):
            return text[len(tail):]
    return " " + text
