"""Chunking: token budget, overlap, whole words, title and metadata carried."""

from __future__ import annotations

import re

import pytest

from restsync.kb.chunking import Chunker, approximate_token_spans


def words_of(text: str) -> list[str]:
    return text.split()


def test_every_chunk_respects_the_token_budget_and_covers_the_text():
    text = " ".join(f"word{n}" for n in range(500))
    chunker = Chunker(chunk_tokens=50, overlap=10)
    chunks = chunker.chunk(text)
    assert len(chunks) > 5
    assert all(chunk.tokens <= 50 for chunk in chunks)
    covered = [word for chunk in chunks for word in words_of(chunk.text)]
    assert set(covered) == set(words_of(text))
    assert words_of(chunks[0].text)[0] == "word0" and words_of(chunks[-1].text)[-1] == "word499"
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))


def test_consecutive_chunks_overlap_by_whole_words_within_the_overlap_budget():
    text = " ".join(f"w{n}" for n in range(300))
    chunks = Chunker(chunk_tokens=40, overlap=8).chunk(text)
    assert len(chunks) > 2  # pairs to compare: with one chunk the loop below checks nothing
    for previous, following in zip(chunks, chunks[1:]):
        before, after = words_of(previous.text), words_of(following.text)
        shared = [word for word in after if word in set(before)]
        assert shared, "neighbouring chunks share words"
        assert after[: len(shared)] == before[-len(shared) :]  # the tail of one opens the next
        assert sum(len(approximate_token_spans(word)) for word in shared) <= 8


def test_no_overlap_when_overlap_is_zero():
    text = " ".join(f"w{n}" for n in range(200))
    chunks = Chunker(chunk_tokens=30, overlap=0).chunk(text)
    assert len(chunks) > 1
    joined = [word for chunk in chunks for word in words_of(chunk.text)]
    assert joined == words_of(text)


def test_never_splits_inside_a_word_even_when_a_word_exceeds_the_budget():
    long_word = "x" * 200  # ~25 approximate tokens on its own
    text = f"alpha beta {long_word} gamma delta " + " ".join(["epsilon"] * 40)
    chunks = Chunker(chunk_tokens=10, overlap=2).chunk(text)
    source_words = set(words_of(text))
    for chunk in chunks:
        assert set(words_of(chunk.text)) <= source_words  # every piece is a whole word
    assert any(long_word in words_of(chunk.text) for chunk in chunks)


def test_prefers_to_end_a_chunk_at_a_sentence_boundary():
    sentence = "The quick brown fox jumps over the lazy dog."
    text = " ".join([sentence] * 12)
    chunks = Chunker(chunk_tokens=40, overlap=0).chunk(text)
    assert len(chunks) > 1  # one chunk would end at the text's own last period
    assert all(chunk.text.endswith(".") for chunk in chunks)


def test_uses_the_supplied_tokenizer_for_sizes():
    text = "aa bb cc dd ee ff gg hh"
    # A tokenizer that sees every character as a token: each word costs 2.
    char_spans = lambda value: [(m.start(), m.end()) for m in re.finditer(r"\S", value)]  # noqa: E731
    chunks = Chunker(chunk_tokens=4, overlap=0, token_spans=char_spans).chunk(text)
    assert [chunk.text for chunk in chunks] == ["aa bb", "cc dd", "ee ff", "gg hh"]
    assert all(chunk.tokens == 4 for chunk in chunks)


def test_chunks_carry_title_and_metadata_and_embed_with_the_title():
    metadata = {"author.name": "Jane", "tags[*].name": ["a", "b"]}
    chunks = Chunker(chunk_tokens=20, overlap=0).chunk("body " * 60, title="Release notes", metadata=metadata)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.title == "Release notes"
        assert chunk.metadata == metadata
        assert chunk.embedding_text.startswith("Release notes\n")


def test_empty_text_gives_no_chunks_and_bad_sizes_are_refused():
    assert Chunker().chunk("   \n ") == []
    with pytest.raises(ValueError):
        Chunker(chunk_tokens=10, overlap=10)
