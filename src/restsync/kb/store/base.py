"""The storage seam: everything the knowledge base persists or searches goes through `Store`.

The embedded default is `SqliteStore` (SQLite + FTS5 + a memory-mapped vector file);
`PostgresStore` (`postgres.py`) keeps knowledge bases in PostgreSQL for workers on many
machines, searched through an external index. Chunking, embedding, change detection, fusion
and the facade are the same over either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Mapping, Protocol, Sequence

import numpy as np

from restsync.kb.filters import Filter
from restsync.kb.types import DocumentInfo, RunInfo, SourceInfo, StoredDocument

# metadata key -> values whose documents a prune keeps (a parent whose children were not all listed)
Keep = Mapping[str, Sequence[str]]


@dataclass(slots=True)
class ChunkRecord:
    ordinal: int
    text: str
    embed_hash: str  # hash of the embedded text: the embedding cache key
    vector: np.ndarray


@dataclass(slots=True)
class DocumentRecord:
    doc_id: str
    title: str
    link: str | None
    metadata: dict[str, Any]
    updated_at: str | None
    content_hash: str
    chunks: list[ChunkRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str
    vector: np.ndarray | None  # None: keyword only
    candidates: int  # how many to take from each of keyword and vector search
    use_keyword: bool = True
    filters: Sequence[Filter] = ()
    sources: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class VectorHealth:
    """Rows in the vector file against rows the chunks use: any chunk whose row is missing
    (the file was truncated or deleted) makes vector search and new writes unsafe."""

    rows_in_file: int
    rows_referenced: int  # 1 + the highest row a chunk uses
    chunks_missing: int  # chunks whose row is beyond the file
    path: str = ""

    @property
    def ok(self) -> bool:
        return not self.chunks_missing

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows_in_file": self.rows_in_file, "rows_referenced": self.rows_referenced,
                "chunks_missing": self.chunks_missing}


@dataclass(slots=True)
class Candidate:
    """One chunk with its raw scores: BM25 (higher is better; None when no keyword match)
    and cosine similarity (None when not computed)."""

    source: str
    doc_id: str
    ordinal: int
    title: str
    link: str | None
    metadata: dict[str, Any]
    text: str
    keyword_score: float | None
    vector_score: float | None


class Store(Protocol):
    # key/value facts about the knowledge base (id, settings, embedder)
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    def put_source(self, name: str, config: dict[str, Any], now: float) -> None: ...
    def get_source(self, name: str) -> dict[str, Any] | None: ...
    def list_sources(self) -> list[SourceInfo]: ...
    def delete_source(self, name: str) -> int: ...

    def content_hashes(self, source: str, doc_ids: Sequence[str]) -> dict[str, str]: ...
    def cached_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]: ...
    def write_documents(
        self, source: str, run_id: int, changed: Sequence[DocumentRecord], unchanged_ids: Sequence[str]
    ) -> None:
        """One transaction: replace each changed document's chunks whole, mark all seen by run_id."""
        ...

    def count_unseen(self, source: str, run_id: int, keep: Keep | None = None, *, marked: bool = False) -> tuple[int, int]:
        """(documents not seen by run_id, all documents) of the source; documents whose metadata
        `key` holds one of `keep[key]` (as filter text) count as seen. `marked`: count only those an
        earlier listing already marked missing (`mark_missing` by another run id)."""
        ...

    def mark_missing(self, source: str, run_id: int, keep: Keep | None = None) -> int:
        """Mark the documents run_id did not see, and no earlier listing marked, as missing since
        run_id; returns how many. Writing a document (seeing it again) clears its mark."""
        ...

    def unseen_ids(self, source: str, run_id: int, keep: Keep | None = None, *, marked: bool = False) -> list[str]: ...
    def delete_unseen(self, source: str, run_id: int, keep: Keep | None = None, *, marked: bool = False) -> int: ...
    def count_documents(self, source: str | None = None) -> int: ...
    def list_documents(
        self, source: str | None, offset: int, limit: int, title_contains: str | None, doc_id: str | None
    ) -> tuple[list[DocumentInfo], int]:
        """A page of documents (by title) and how many match in all."""
        ...

    def count_chunks(self) -> int: ...
    def get_document(self, doc_id: str, source: str | None = None) -> StoredDocument | None:
        """The document and its chunk texts in order; without `source`, the first source holding the id."""
        ...

    def search(self, request: SearchRequest) -> list[Candidate]:
        """Keyword and vector candidates, from one consistent snapshot."""
        ...

    def vector_health(self) -> VectorHealth: ...
    def repair_vectors(self, embed: Callable[[list[str]], np.ndarray]) -> int:
        """Re-embed the chunks whose vectors are missing; returns how many texts were embedded."""
        ...

    def start_run(self, source: str, mode: str, started_at: float) -> int: ...
    def finish_run(
        self, run_id: int, status: str, counts: dict[str, Any], error: str | None, watermark: str | None, finished_at: float
    ) -> None: ...
    def list_runs(self, source: str | None, limit: int) -> list[RunInfo]: ...
    def lock_source(self, source: str) -> ContextManager[Any]: ...  # one sync at a time per source
    def get_state(self, source: str, key: str) -> Any | None: ...
    def set_state(self, source: str, key: str, value: Any) -> None: ...

    def close(self) -> None: ...
