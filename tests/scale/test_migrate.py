"""`restsync migrate --to`: an embedded knowledge base copied into Milvus Lite without
re-embedding; counts and sampled searches verified; the copy then answers searches."""

from __future__ import annotations

import json

from restsync.cli.main import main
from restsync.document import Document
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.kb.fingerprint import text_hash

TOPICS = ["refund policy", "password reset", "webhook signatures", "rate limits", "dark theme", "invoices",
          "single sign-on", "storage quota", "offline mode", "keyboard shortcuts"]


def test_migrate_copies_and_verifies(tmp_path, milvus_url, capsys):
    kb_dir = tmp_path / "kb"
    with KnowledgeBase.open(kb_dir, embedder=HashingEmbedder(64)) as kb:
        docs = [Document(id=f"d{n}", semantic_identifier=f"{topic} guide", content=f"All about {topic}. " * 60,
                         metadata={"n": n}) for n, topic in enumerate(TOPICS)]
        kb.upsert_documents("help", docs, run_id=kb.start_run("help", "full"))
        chunks = kb.count_chunks()
    assert chunks > len(TOPICS)  # several chunks per document

    status = main(["migrate", "--kb", str(kb_dir), "--to", milvus_url, "--sample", "10"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0, report
    assert report == {"ok": True, "documents": 10, "chunks_in_store": chunks, "chunks_in_index": chunks,
                      "sampled_queries": 10, "differing_queries": []}
    with KnowledgeBase.open(kb_dir, index_url=milvus_url) as copy:
        hits = copy.search("webhook signatures", k=1, filters=["n>=1"])
        assert [hit.document_id for hit in hits] == ["d2"]


def test_migrate_moves_a_whole_knowledge_base_into_postgresql_and_back(tmp_path, postgres_url, milvus_url, capsys):
    kb_dir = tmp_path / "kb"
    with KnowledgeBase.open(kb_dir, embedder=HashingEmbedder(64)) as kb:
        kb.add_source("help", {"url": "https://help.example.test/articles"})
        first = kb.start_run("help", "full")
        docs = [Document(id=f"d{n}", semantic_identifier=f"{topic} guide", content=f"All about {topic}. " * 60,
                         metadata={"n": n, "tags": ["a", f"t{n}"]}) for n, topic in enumerate(TOPICS)]
        kb.upsert_documents("help", docs, run_id=first)
        kb.finish_run(first, "success", {"new": 10}, watermark="2025-01-01T00:00:00Z")
        second = kb.start_run("help", "full")
        kb.upsert_documents("help", docs[:8], run_id=second)
        assert kb.prune_unseen("help", second, confirm=True).marked == 2  # d8, d9 missed once
        kb.set_state("help", "checkpoint", {"cursor": "abc"})
        kb_id, chunks, runs = kb.id, kb.count_chunks(), kb.list_runs("help")
        expected = {query: kb.search(query, k=1)[0].document_id for query in ("webhook signatures", "invoices")}
        vectors = kb._store.cached_vectors([text_hash("x")])  # the embedding cache: nothing under an unknown text
        assert vectors == {}

    status = main(["migrate", "--kb", str(kb_dir), "--to", milvus_url, "--database-url", postgres_url, "--sample", "10"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0, report
    assert report == {"ok": True, "documents": 10, "chunks_in_store": chunks, "chunks_in_index": chunks,
                      "sampled_queries": 10, "differing_queries": [], "copied_to": "kb", "documents_copied": 10,
                      "chunks_copied": chunks}

    with KnowledgeBase.open("kb", store_url=postgres_url, index_url=milvus_url, embedder=HashingEmbedder(64)) as copy:
        assert (copy.id, copy.index_name, copy.count_chunks()) == (kb_id, "milvus", chunks)
        assert copy.get_source("help") == {"url": "https://help.example.test/articles"}
        assert copy.list_runs("help") == runs
        assert copy.get_state("help", "checkpoint") == {"cursor": "abc"}
        assert {query: copy.search(query, k=1)[0].document_id for query in expected} == expected
        assert [hit.document_id for hit in copy.search("webhook signatures", k=1, filters=["tags=t2"])] == ["d2"]
        # The missing marks came along: the next listing that misses d8 and d9 deletes them.
        third = copy.start_run("help", "full")
        assert third > runs[0].id  # run ids continue after the copied ones
        counts = copy.upsert_documents("help", docs[:8], run_id=third)
        assert counts.unchanged == 8 and counts.chunks_embedded == 0  # vectors and hashes copied, nothing re-embedded
        assert copy.prune_unseen("help", third, confirm=True).deleted == 2
        assert copy.count_documents() == 8
        chunks_left = copy.count_chunks()

    # Into a knowledge base that holds documents already: refused, nothing changed.
    assert main(["migrate", "--kb", str(kb_dir), "--to", milvus_url, "--database-url", postgres_url]) != 0
    assert "already holds documents" in capsys.readouterr().err

    back = tmp_path / "back"
    status = main(["migrate", "--kb", str(back), "--from", milvus_url, "--database-url", postgres_url,
                   "--name", "kb", "--sample", "5"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0, report
    assert (report["documents"], report["documents_copied"], report["chunks_copied"]) == (8, 8, chunks_left)
    assert report["sampled_queries"] == 5 and report["differing_queries"] == []
    with KnowledgeBase.open(back, embedder=HashingEmbedder(64)) as embedded:
        assert (embedded.id, embedded.index_name, embedded.count_documents()) == (kb_id, "embedded", 8)
        assert embedded.vector_health().ok
        assert [hit.document_id for hit in embedded.search("webhook signatures", k=1)] == ["d2"]
        assert embedded.get_state("help", "checkpoint") == {"cursor": "abc"}
        assert [run.id for run in embedded.list_runs("help")] == [third, *[run.id for run in runs]]


def test_migrate_from_needs_the_state_database(tmp_path, milvus_url, capsys, monkeypatch):
    monkeypatch.delenv("RESTSYNC_DATABASE_URL", raising=False)
    assert main(["migrate", "--kb", str(tmp_path / "kb"), "--from", milvus_url]) != 0
    assert "--database-url" in capsys.readouterr().err


def test_migrate_refuses_a_state_database_that_cannot_hold_knowledge_bases(tmp_path, milvus_url, capsys):
    with KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(16)) as kb:
        kb.upsert_documents("help", [Document(id="a", semantic_identifier="A", content="text")], run_id=kb.start_run("help", "full"))
    assert main(["migrate", "--kb", str(tmp_path / "kb"), "--to", milvus_url, "--database-url", "sqlite:///state.db"]) != 0
    assert "database_url" in capsys.readouterr().err


def test_a_servers_dataset_directory_keeps_the_name_the_server_looks_up(tmp_path):
    from restsync.scale.migrate import default_name
    from restsync.service.datasets import DATASETS_DIRECTORY

    assert default_name(tmp_path / "restsync-data" / DATASETS_DIRECTORY / "0f3a") == f"{DATASETS_DIRECTORY}/0f3a"
    assert default_name(tmp_path / "kb") == "kb"
