"""Per-knowledge-base settings, persisted in the knowledge base itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from restsync.errors import ConfigError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


@dataclass(frozen=True, slots=True)
class KBSettings:
    """chunk sizes are in embedding-model tokens; vector_weight is RAGFlow's
    vector_similarity_weight: 0 = keyword only, 1 = vector only."""

    chunk_tokens: int = 200
    chunk_overlap: int | None = None  # default: a fifth of chunk_tokens
    embedder: str = DEFAULT_EMBEDDER
    embedding_url: str | None = None  # OpenAI-compatible endpoint; its key never lives here
    vector_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.chunk_tokens < 8:
            raise ConfigError("must be at least 8 tokens", key="chunk_tokens")
        if self.chunk_overlap is None:
            object.__setattr__(self, "chunk_overlap", self.chunk_tokens // 5)
        if not 0 <= self.chunk_overlap < self.chunk_tokens // 2 + 1:
            raise ConfigError("must be between 0 and half of chunk_tokens", key="chunk_overlap")
        if not 0.0 <= self.vector_weight <= 1.0:
            raise ConfigError("must be between 0 and 1", key="vector_weight")
        if not self.embedder:
            raise ConfigError("must name an embedder", key="embedder")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> KBSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in raw.items() if key in known})
