"""The search-index seam: what hybrid search needs from an engine, and nothing else.

The knowledge base keeps documents, chunks, runs and state in its store; the index holds the
searchable copy of each chunk (text for BM25, dense vector, filterable metadata). The embedded
store is its own index (FTS5 and the vector file are written in the same transaction as the
chunks), so `StoreIndex` only forwards searches; a distributed engine (`MilvusIndex`) receives
every write as an upsert or delete by document.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from restsync.kb.store.base import Candidate, DocumentRecord, SearchRequest, Store


class Index(Protocol):
    name: str  # "embedded", "milvus": shown by status and in errors
    mirrors_writes: bool  # False: the store's own transaction already indexed every write

    def upsert(self, source: str, records: Sequence[DocumentRecord]) -> None:
        """Replace every chunk of each record's document with the record's chunks."""
        ...

    def delete(self, source: str, doc_ids: Sequence[str]) -> None:
        """Remove every chunk of these documents (ids not held are ignored)."""
        ...

    def delete_source(self, source: str) -> None: ...

    def search(self, request: SearchRequest) -> list[Candidate]:
        """Keyword and vector candidates, each with its raw BM25 and cosine scores (None where
        the engine has none): fusion, and so `vector_weight`, is the same for every index."""
        ...

    def count_chunks(self) -> int: ...

    def close(self) -> None: ...


class StoreIndex:
    """The embedded store searched as an index: writes already happened in the store's own
    transaction, so upserts and deletes cost nothing here."""

    name = "embedded"
    mirrors_writes = False  # the knowledge base needs not tell it what it deleted

    def __init__(self, store: Store):
        self._store = store

    def upsert(self, source: str, records: Sequence[DocumentRecord]) -> None:
        return None

    def delete(self, source: str, doc_ids: Sequence[str]) -> None:
        return None

    def delete_source(self, source: str) -> None:
        return None

    def search(self, request: SearchRequest) -> list[Candidate]:
        return self._store.search(request)

    def count_chunks(self) -> int:
        return self._store.count_chunks()

    def close(self) -> None:
        return None  # the store is closed by its owner
