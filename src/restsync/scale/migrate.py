"""`restsync migrate`: fill a distributed index from an embedded knowledge base, and check it.

The knowledge base's store stays the record of its documents and chunks; the copy writes every
document's chunks and vectors (no re-embedding) into the index the URL names, in batches, then
verifies that the index holds as many chunks as the store and that a sample of searches (each
document's title as a query, keyword and vector legs) returns the same top documents from both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from restsync.kb import KnowledgeBase
from restsync.kb.index import open_index
from restsync.kb.index.base import StoreIndex

BATCH_DOCUMENTS = 200


@dataclass
class MigrationReport:
    documents: int = 0
    chunks_in_store: int = 0
    chunks_in_index: int = 0
    sampled_queries: int = 0
    differing_queries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chunks_in_store == self.chunks_in_index and not self.differing_queries

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "documents": self.documents, "chunks_in_store": self.chunks_in_store,
                "chunks_in_index": self.chunks_in_index, "sampled_queries": self.sampled_queries,
                "differing_queries": self.differing_queries}


def copy_to_index(kb_dir: Path, index_url: str, *, sample: int = 20,
                  on_progress: Callable[[int], None] | None = None) -> MigrationReport:
    report = MigrationReport()
    with KnowledgeBase.open(kb_dir) as kb:
        store = kb._store
        index = open_index(index_url, kb.id, store)
        try:
            after = 0
            titles: list[str] = []
            while True:
                page, after = store.export_records(after, BATCH_DOCUMENTS)
                if not page:
                    break
                by_source: dict[str, list] = {}
                for source, record in page:
                    by_source.setdefault(source, []).append(record)
                    if len(titles) < sample and record.title.strip():
                        titles.append(record.title)
                for source, records in by_source.items():
                    index.upsert(source, records)
                report.documents += len(page)
                if on_progress:
                    on_progress(report.documents)
            report.chunks_in_store = kb.count_chunks()
            report.chunks_in_index = index.count_chunks()
            report.sampled_queries = len(titles)
            embedded = StoreIndex(store)
            for title in titles:
                for weight in (0.0, 1.0):
                    kb._index = embedded
                    ours = [hit.document_id for hit in kb.search(title, k=3, vector_weight=weight)]
                    kb._index = index
                    theirs = [hit.document_id for hit in kb.search(title, k=3, vector_weight=weight)]
                    if ours[:1] and ours[0] not in theirs:  # ties may order differently per engine
                        report.differing_queries.append({"query": title, "vector_weight": weight,
                                                         "embedded": ours, "index": theirs})
            kb._index = embedded
        finally:
            index.close()
    return report
