"""Storage behind one protocol (`Store`); `SqliteStore` is the embedded default."""

from restsync.kb.store.base import Candidate, ChunkRecord, DocumentRecord, SearchRequest, Store, VectorHealth
from restsync.kb.store.sqlite import SqliteStore

__all__ = ["Candidate", "ChunkRecord", "DocumentRecord", "SearchRequest", "SqliteStore", "Store", "VectorHealth"]
