"""Value objects the knowledge base hands back to its callers (sync engine, CLI, server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved chunk with everything needed to cite it."""

    document_id: str
    chunk_id: str
    title: str
    link: str | None
    metadata: dict[str, Any]
    score: float
    text: str
    source: str
    # The parts `score` fused (0..1): keyword (relative BM25 times query-term coverage) and vector
    # (cosine); None when that side was not searched (vector_weight 1 or 0).
    keyword_score: float | None = None
    vector_score: float | None = None


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A stored document as its chunks hold it (the store keeps chunks, not the original text)."""

    source: str
    doc_id: str
    title: str
    link: str | None
    metadata: dict[str, Any]
    updated_at: str | None
    chunks: tuple[str, ...]
    text: str = ""  # rebuilt from the chunks by the knowledge base


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0


@dataclass(frozen=True, slots=True)
class PruneResult:
    deleted: int
    refused: str | None
    would_delete: int
    marked: int = 0  # unseen documents kept until a second listing misses them too (newly marked)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    config: dict[str, Any]
    documents: int
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    source: str
    mode: str
    status: str
    started_at: float
    finished_at: float | None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    watermark: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A stored document as listed (the server's document pages): its chunk count, not its text."""

    source: str
    doc_id: str
    title: str
    link: str | None
    metadata: dict[str, Any]
    updated_at: str | None
    chunks: int
