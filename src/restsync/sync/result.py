"""What one sync run did: the counts every run records and the summary the CLI prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Run statuses, as recorded by finish_run and printed by `sync --json`.
SUCCESS = "success"
PARTIAL = "partial"  # the listing completed, but vanished documents were kept (prune refused)
FAILED = "failed"
TRUNCATED = "truncated"

FULL = "full"
INCREMENTAL = "incremental"


@dataclass
class SyncCounts:
    fetched: int = 0  # documents the connector yielded (after the time window)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0  # documents in a batch that could not be stored
    chunks_embedded: int = 0

    def add_upsert(self, counts: Any) -> None:
        """Add a KB `UpsertCounts(new, updated, unchanged, chunks_embedded)`."""
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.chunks_embedded += counts.chunks_embedded

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> "SyncCounts":
        known = {name: int(value) for name, value in (raw or {}).items() if name in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class PruneOutcome:
    """What happened to documents whose items vanished: removed, refused (and why), or not tried."""

    attempted: bool = False
    deleted: int = 0
    would_delete: int = 0
    refused_reason: str | None = None
    # Unseen for the first time: kept until a second complete full listing misses them too.
    marked_missing: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SyncResult:
    source: str
    mode: str  # "full" or "incremental"
    run_id: Any = None
    status: str = FAILED  # until the run says otherwise
    counts: SyncCounts = field(default_factory=SyncCounts)
    prune: PruneOutcome = field(default_factory=PruneOutcome)
    watermark: str | None = None  # ISO 8601 UTC, the newest updated_at seen by completed runs
    window_start: str | None = None  # what an incremental run asked the API for
    resumed: bool = False  # continued a listing an earlier, interrupted run began
    pages: int = 0
    truncation_reason: str | None = None
    partial_reason: str | None = None  # why a completed listing may still lack items (status partial)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The `sync --json` object: flat counts first, so scripts need no nesting."""
        counts = self.counts
        return {
            "source": self.source,
            "run_id": self.run_id,
            "mode": self.mode,
            "status": self.status,
            "resumed": self.resumed,
            "documents_fetched": counts.fetched,
            "documents_new": counts.new,
            "documents_updated": counts.updated,
            "documents_unchanged": counts.unchanged,
            "documents_deleted": counts.deleted,
            "documents_failed": counts.failed,
            "chunks_embedded": counts.chunks_embedded,
            "pages": self.pages,
            "watermark": self.watermark,
            "window_start": self.window_start,
            "prune": self.prune.to_dict(),
            "truncation_reason": self.truncation_reason,
            "partial_reason": self.partial_reason,
            "error": self.error,
            "warnings": list(self.warnings),
            "elapsed_s": round(self.elapsed_s, 3),
        }
