"""The knowledge base: storage, chunking, embedding and hybrid retrieval behind one facade.

Needs the `kb` extra (sqlalchemy, numpy; torch and the bundled model for local embeddings).
"""

from restsync.kb.chunking import Chunk, Chunker
from restsync.kb.embedding import Embedder, HashingEmbedder, LocalEmbedder, OpenAIEmbedder, build_embedder
from restsync.kb.filters import Filter, parse_filter
from restsync.kb.knowledge_base import KnowledgeBase
from restsync.kb.settings import KBSettings
from restsync.kb.types import DocumentInfo, Hit, PruneResult, RunInfo, SourceInfo, UpsertCounts

__all__ = [
    "Chunk",
    "Chunker",
    "DocumentInfo",
    "Embedder",
    "Filter",
    "HashingEmbedder",
    "Hit",
    "KBSettings",
    "KnowledgeBase",
    "LocalEmbedder",
    "OpenAIEmbedder",
    "PruneResult",
    "RunInfo",
    "SourceInfo",
    "UpsertCounts",
    "build_embedder",
    "parse_filter",
]
