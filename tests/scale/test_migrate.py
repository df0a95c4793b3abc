"""`restsync migrate --to`: an embedded knowledge base copied into Milvus Lite without
re-embedding; counts and sampled searches verified; the copy then answers searches."""

from __future__ import annotations

import json

from restsync.cli.main import main
from restsync.document import Document
from restsync.kb import HashingEmbedder, KnowledgeBase

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
