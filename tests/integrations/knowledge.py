"""The knowledge bases integration tests search: a small hand-made one whose answers are known."""

from __future__ import annotations

from pathlib import Path

from restsync.document import Document
from restsync.kb import HashingEmbedder, KnowledgeBase

LONG_BODY = " ".join(f"Paragraph {n}: the quick brown fox number {n} jumps over the lazy dog." for n in range(60))

SMALL_DOCS = [
    Document(id="refunds", semantic_identifier="Refund policy", content="Refunds for annual plans are prorated.",
             metadata={"category": "Billing", "author": "Jane Doe", "votes": 12, "updated": "2025-03-01"},
             link="https://help.example.com/refunds"),
    Document(id="2fa", semantic_identifier="Reset two-factor authentication",
             content="To reset two-factor authentication open Settings and choose Security.",
             metadata={"category": "Security", "author": "Ravi Patel", "votes": 40, "updated": "2024-11-20",
                       "tags": ["login", "security"]},
             link="https://help.example.com/2fa"),
    Document(id="export", semantic_identifier="Export audit logs", content="Export audit logs as CSV from Settings.",
             metadata={"category": "Security", "author": "Jane Doe", "votes": 3, "updated": "2023-06-05"},
             link="https://help.example.com/export"),
    Document(id="long", semantic_identifier="A long article", content=LONG_BODY,
             metadata={"category": "Misc"}, link=None),
]


def build_small_kb(directory: Path) -> Path:
    with KnowledgeBase.open(directory, embedder=HashingEmbedder()) as kb:
        kb.add_source("help", {"url": "https://help.example.com/api/articles"})
        run = kb.start_run("help", "full")
        kb.upsert_documents("help", SMALL_DOCS, run_id=run)
        kb.finish_run(run, "ok", {"new": len(SMALL_DOCS)})
    return directory
