"""Knowledge-base storage through the facade: change detection, atomic replacement,
pruning, namespacing, runs and state, on each backend (`open_kb`: a directory with its own
index, a directory searched through Milvus Lite, and PostgreSQL searched through Milvus Lite).

These tests use the deterministic HashingEmbedder: they are about storage, not about
embedding quality (that is test_kb_quality.py, with the real model).
"""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from restsync.clock import FakeClock
from restsync.document import Document
from restsync.errors import ConfigError
from restsync.kb import HashingEmbedder, KBSettings, KnowledgeBase


def doc(doc_id: str, content: str, **metadata) -> Document:
    return Document(id=doc_id, semantic_identifier=f"Title {doc_id}", content=content, metadata=metadata, link=f"https://example.test/{doc_id}")


@pytest.fixture
def embedder():
    return HashingEmbedder(32)


@pytest.fixture
def kb(tmp_path, open_kb, embedder):
    base = open_kb(tmp_path / "kb", embedder=embedder, settings=KBSettings(chunk_tokens=16, chunk_overlap=4), clock=FakeClock())
    yield base
    base.close()


@pytest.fixture
def sqlite_kb(tmp_path, embedder):
    base = KnowledgeBase.open(tmp_path / "kb", embedder=embedder, settings=KBSettings(chunk_tokens=16, chunk_overlap=4), clock=FakeClock())
    yield base
    base.close()


def test_second_upsert_of_unchanged_documents_embeds_nothing(kb, embedder):
    docs = [doc(str(n), f"alpha bravo charlie number {n} " * 8) for n in range(10)]
    run = kb.start_run("src", "full")
    first = kb.upsert_documents("src", docs, run_id=run)
    assert (first.new, first.updated, first.unchanged) == (10, 0, 0)
    assert first.chunks_embedded > 10
    embedded_before = embedder.texts_embedded
    second = kb.upsert_documents("src", docs, run_id=kb.start_run("src", "full"))
    assert (second.new, second.updated, second.unchanged, second.chunks_embedded) == (0, 0, 10, 0)
    assert embedder.texts_embedded == embedded_before
    assert kb.count_documents("src") == 10


def test_changed_document_gets_its_chunks_replaced(kb):
    run = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc("a", "original walrus text " * 10), doc("b", "other stable text " * 10)], run_id=run)
    chunks_before = kb.count_chunks()
    counts = kb.upsert_documents("src", [doc("a", "replacement narwhal text")], run_id=run)
    assert (counts.new, counts.updated) == (0, 1)
    assert kb.search("walrus", vector_weight=0.0) == []
    hits = kb.search("narwhal", vector_weight=0.0)
    assert [hit.document_id for hit in hits] == ["a"]
    assert kb.count_chunks() < chunks_before


def test_metadata_change_updates_filters_without_re_embedding(kb):
    run = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc("a", "same body text " * 10, status="draft")], run_id=run)
    counts = kb.upsert_documents("src", [doc("a", "same body text " * 10, status="final")], run_id=run)
    assert counts.updated == 1 and counts.chunks_embedded == 0  # vectors reused by chunk content hash
    assert {h.document_id for h in kb.search("body", filters=["status=final"])} == {"a"}
    assert kb.search("body", filters=["status=draft"]) == []


def test_a_failed_embedding_leaves_the_stored_version_untouched(kb, embedder):
    run = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc("a", "first version mentions otters " * 5)], run_id=run)
    chunks = kb.count_chunks()
    original = embedder.embed
    embedder.embed = lambda texts: (_ for _ in ()).throw(RuntimeError("model crashed"))
    with pytest.raises(RuntimeError):
        kb.upsert_documents("src", [doc("a", "second version mentions beavers")], run_id=run)
    embedder.embed = original
    assert kb.count_chunks() == chunks
    assert {h.document_id for h in kb.search("otters", vector_weight=0.0)} == {"a"}


def _flip_versions(kb):
    """Two versions of one document with different chunk counts, and a writer swapping them."""
    versions = {
        "alpha": doc("d", " ".join(f"alpha{n}. common" for n in range(40))),
        "bravo": doc("d", " ".join(f"bravo{n}. common" for n in range(25))),
    }
    run = kb.start_run("src", "full")
    kb.upsert_documents("src", [versions["alpha"]], run_id=run)
    chunk_counts = {"alpha": kb.count_chunks()}
    kb.upsert_documents("src", [versions["bravo"]], run_id=run)
    chunk_counts["bravo"] = kb.count_chunks()
    assert chunk_counts["alpha"] != chunk_counts["bravo"]
    done = threading.Event()

    def flip() -> None:
        for round_number in range(30):
            kb.upsert_documents("src", [versions["alpha" if round_number % 2 == 0 else "bravo"]], run_id=run)
        done.set()

    writer = threading.Thread(target=flip)
    writer.start()
    return chunk_counts, done, writer


def test_readers_never_see_half_a_replaced_document(kb):
    chunk_counts, done, writer = _flip_versions(kb)
    seen = set()
    while not done.is_set() or not seen:
        stored = kb.get_document("d", source="src")
        kinds = {("alpha" if "alpha" in text else "bravo") for text in stored.chunks}
        assert len(kinds) == 1, "a read mixed two versions of one document"
        kind = kinds.pop()
        assert len(stored.chunks) == chunk_counts[kind], "a read saw part of a document"
        seen.add(kind)
    writer.join()


def test_searches_never_see_half_a_replaced_document(sqlite_kb):
    # The embedded store is its own index, replaced in the same transaction; Milvus replaces a
    # document's chunks in two steps (delete, insert), so this holds for the embedded index only.
    kb = sqlite_kb
    chunk_counts, done, writer = _flip_versions(kb)
    seen = set()
    while not done.is_set() or not seen:
        hits = kb.search("common", k=100, vector_weight=0.0)
        kinds = {("alpha" if "alpha" in hit.text else "bravo") for hit in hits}
        assert len(kinds) == 1, "a search mixed two versions of one document"
        kind = kinds.pop()
        assert len(hits) == chunk_counts[kind], "a search saw part of a document"
        seen.add(kind)
    writer.join()


def test_prune_respects_the_share_limit_unless_forced(kb):
    first = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in range(10)], run_id=first)
    second = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in range(3)], run_id=second)
    refused = kb.prune_unseen("src", second)
    assert refused.deleted == 0 and refused.would_delete == 7
    assert "max_share" in refused.refused and "'src'" in refused.refused
    assert kb.count_documents("src") == 10
    forced = kb.prune_unseen("src", second, force=True)
    assert (forced.deleted, forced.refused) == (7, None)
    assert kb.count_documents("src") == 3
    third = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in range(2)], run_id=third)
    assert kb.prune_unseen("src", third) == kb.prune_unseen("src", third).__class__(deleted=1, refused=None, would_delete=1)


def test_prune_touches_only_its_own_source(kb):
    run = kb.start_run("one", "full")
    kb.upsert_documents("one", [doc("x", "in one")], run_id=run)
    kb.upsert_documents("two", [doc("x", "in two")], run_id=kb.start_run("two", "full"))
    assert kb.prune_unseen("one", kb.start_run("one", "full"), max_share=1.0).deleted == 1
    assert kb.count_documents("two") == 1 and kb.count_documents() == 1


def test_ids_are_namespaced_by_knowledge_base_and_source(tmp_path, open_kb, embedder):
    first = open_kb(tmp_path / "one", embedder=embedder)
    second = open_kb(tmp_path / "two", embedder=embedder)
    assert first.id != second.id
    for base in (first, second):
        base.upsert_documents("src", [doc("same", "shared platypus text")], run_id=base.start_run("src", "full"))
    first.upsert_documents("other", [doc("same", "platypus in another source")], run_id=first.start_run("other", "full"))
    hits_one = first.search("platypus", vector_weight=0.0)
    hits_two = second.search("platypus", vector_weight=0.0)
    assert {hit.source for hit in hits_one} == {"src", "other"}
    assert len({hit.chunk_id for hit in hits_one}) == 2
    assert not {hit.chunk_id for hit in hits_one} & {hit.chunk_id for hit in hits_two}
    assert all(hit.chunk_id.startswith(first.id) for hit in hits_one)
    assert [hit.source for hit in first.search("platypus", sources=["other"], vector_weight=0.0)] == ["other"]
    assert first.delete_source("other") == 1
    assert first.count_documents() == 1
    first.close()
    second.close()


def test_hits_carry_everything_a_citation_needs(kb):
    kb.upsert_documents("src", [doc("42", "the lighthouse keeper log", author="Jane")], run_id=kb.start_run("src", "full"))
    hit = kb.search("lighthouse", k=1)[0]
    assert (hit.document_id, hit.title, hit.link, hit.source) == ("42", "Title 42", "https://example.test/42", "src")
    assert hit.metadata == {"author": "Jane"} and "lighthouse" in hit.text and hit.score > 0
    assert kb.search("lighthouse", threshold=1.01) == []


def test_sources_runs_and_state_persist_across_reopen(tmp_path, open_kb, embedder):
    clock = FakeClock()
    base = open_kb(tmp_path / "kb", embedder=embedder, settings=KBSettings(chunk_tokens=64, vector_weight=0.3), clock=clock)
    base.add_source("api", {"url": "https://api.test/items"})
    base.add_source("api", {"url": "https://api.test/v2/items"})
    run = base.start_run("api", "incremental")
    clock.advance(5)
    base.finish_run(run, "ok", {"new": 3}, watermark="2025-01-01T00:00:00Z")
    base.set_state("api", "checkpoint", {"cursor": "abc", "pages": [1, 2]})
    kb_id = base.id
    base.close()

    reopened = open_kb(tmp_path / "kb", embedder=embedder)
    assert reopened.id == kb_id
    assert (reopened.settings.chunk_tokens, reopened.settings.vector_weight) == (64, 0.3)
    assert reopened.get_source("api") == {"url": "https://api.test/v2/items"}
    assert [source.name for source in reopened.list_sources()] == ["api"]
    assert reopened.get_source("missing") is None
    [info] = reopened.list_runs("api")
    assert (info.status, info.counts, info.watermark, info.finished_at - info.started_at) == ("ok", {"new": 3}, "2025-01-01T00:00:00Z", 5)
    assert reopened.get_state("api", "checkpoint") == {"cursor": "abc", "pages": [1, 2]}
    assert reopened.get_state("api", "nothing") is None
    reopened.close()


def test_changing_the_embedder_of_a_filled_knowledge_base_is_refused(tmp_path, open_kb, embedder):
    base = open_kb(tmp_path / "kb", embedder=embedder)
    base.upsert_documents("src", [doc("a", "text")], run_id=base.start_run("src", "full"))
    base.close()
    with pytest.raises(ConfigError, match="embedder"):
        open_kb(tmp_path / "kb", embedder=HashingEmbedder(48))


def test_replaced_vectors_are_released(sqlite_kb):
    kb = sqlite_kb
    run = kb.start_run("src", "full")
    for version in range(3):
        kb.upsert_documents("src", [doc("a", f"version {version} text " * 6)], run_id=run)
    matrix = np.asarray(kb._store.vectors.matrix())
    live_rows = int((np.abs(matrix).sum(axis=1) > 0).sum())
    assert live_rows == kb.count_chunks()


def test_a_confirmed_prune_deletes_only_what_two_listings_in_a_row_missed(kb):
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in range(6)], run_id=kb.start_run("src", "full"))
    second = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in range(4)], run_id=second)  # 4, 5 unseen
    first_miss = kb.prune_unseen("src", second, confirm=True)
    assert (first_miss.deleted, first_miss.marked, first_miss.refused) == (0, 2, None)
    assert kb.count_documents("src") == 6
    assert kb.prune_unseen("src", second, confirm=True).deleted == 0  # the same listing again confirms nothing
    third = kb.start_run("src", "full")
    # 4 is listed again (it had only moved): its mark goes; 3 is missed for the first time.
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in (0, 1, 2, 4)], run_id=third)
    confirmed = kb.prune_unseen("src", third, confirm=True)
    assert (confirmed.deleted, confirmed.marked) == (1, 1)
    assert kb.get_document("5", source="src") is None and kb.get_document("4", source="src") is not None
    assert kb.get_document("3", source="src") is not None
    fourth = kb.start_run("src", "full")
    kb.upsert_documents("src", [doc(str(n), f"text {n}") for n in (0, 1, 2, 3)], run_id=fourth)
    assert kb.prune_unseen("src", fourth, confirm=True).deleted == 0  # 3 was seen again; 4 newly missed
    forced = kb.prune_unseen("src", fourth, confirm=True, force=True)
    assert forced.deleted == 1 and kb.count_documents("src") == 4


def test_a_knowledge_base_without_missing_marks_gets_the_column_on_open(tmp_path, embedder):
    path = tmp_path / "old"
    base = KnowledgeBase.open(path, embedder=embedder, clock=FakeClock())
    base.upsert_documents("src", [doc("a", "text a"), doc("b", "text b")], run_id=base.start_run("src", "full"))
    base.close()
    with sqlite3.connect(path / "kb.sqlite") as conn:  # as a knowledge base from before the column
        conn.execute("ALTER TABLE documents DROP COLUMN missing_since_run")
    base = KnowledgeBase.open(path, embedder=embedder, clock=FakeClock())
    try:
        run = base.start_run("src", "full")
        base.upsert_documents("src", [doc("a", "text a")], run_id=run)
        assert base.prune_unseen("src", run, confirm=True).marked == 1
        assert base.count_documents("src") == 2
    finally:
        base.close()
