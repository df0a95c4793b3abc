"""A knowledge base on an external index writes the index before its store: a failure (or a
crash) between the two is repaired by the next sync, which finds the documents changed. The
other order left the store saying "unchanged" about documents the index never received."""

from __future__ import annotations

import pytest

from restsync.document import Document
from restsync.kb import HashingEmbedder, KnowledgeBase


def docs(version: str) -> list[Document]:
    return [Document(id=str(n), semantic_identifier=f"Article {n}", content=f"Article {n} says {version}")
            for n in range(1, 4)]


def texts_found(kb: KnowledgeBase, word: str) -> set[str]:
    return {hit.document_id for hit in kb.search(word, k=10, vector_weight=0.0)}


@pytest.mark.parametrize("failing", ["index", "store"])
def test_a_write_that_failed_between_index_and_store_is_repaired_by_the_next_sync(tmp_path, milvus_url, failing):
    kb = KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(64), index_url=milvus_url)
    try:
        kb.upsert_documents("src", docs("alpha"), run_id=kb.start_run("src", "full"))
        part = kb._index if failing == "index" else kb._store
        name = "upsert" if failing == "index" else "write_documents"
        original = getattr(part, name)

        def fail(*args, **kwargs):
            raise OSError(f"the {failing} went away")

        setattr(part, name, fail)
        with pytest.raises(OSError):
            kb.upsert_documents("src", docs("bravo"), run_id=kb.start_run("src", "full"))
        setattr(part, name, original)

        counts = kb.upsert_documents("src", docs("bravo"), run_id=kb.start_run("src", "full"))
        assert counts.updated == 3  # the store still held the old content: all three written again
        assert len(texts_found(kb, "bravo")) == 3 and texts_found(kb, "alpha") == set()
        assert kb._index.count_chunks() == kb.count_chunks()
    finally:
        kb.close()
