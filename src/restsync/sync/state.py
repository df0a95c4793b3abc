"""What a source keeps between runs in the knowledge base's state table.

Two keys per source:
- `watermark`: ISO 8601 UTC, the newest `updated_at` seen by a completed run. It moves only
  when a run completes, and only forward; the next incremental run asks from it minus an overlap.
- `checkpoint`: the listing in progress, written after each committed page. A run that was
  killed or failed resumes from it, continuing the same listing (same mode, same window, same
  listing id for deletion tracking), so the end result equals an uninterrupted run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restsync.sync.result import SyncCounts
from restsync.timestamps import format_utc, parse_iso

WATERMARK_KEY = "watermark"
CHECKPOINT_KEY = "checkpoint"
STATE_VERSION = 1


@dataclass
class ListingProgress:
    """A listing's resume point and what it has done so far."""

    mode: str
    listing_id: Any  # run id whose "seen" marks the listing's documents carry (for pruning)
    window_start: str | None  # ISO; None for a full listing
    connector_checkpoint: dict | None = None
    newest_seen: str | None = None
    pages: int = 0
    counts: SyncCounts = field(default_factory=SyncCounts)
    # How the collection shifted during the listing so far (kept across a resume: a listing that
    # shifted before an interruption is no more a basis for deletion after it).
    shifts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "mode": self.mode,
            "listing_id": self.listing_id,
            "window_start": self.window_start,
            "connector_checkpoint": self.connector_checkpoint,
            "newest_seen": self.newest_seen,
            "pages": self.pages,
            "counts": self.counts.to_dict(),
            "shifts": list(self.shifts),
        }

    @classmethod
    def from_json(cls, raw: Any) -> "ListingProgress | None":
        """None for anything this version cannot resume from (then the run starts over)."""
        if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION or "mode" not in raw:
            return None
        return cls(
            mode=str(raw["mode"]),
            listing_id=raw.get("listing_id"),
            window_start=raw.get("window_start"),
            connector_checkpoint=raw.get("connector_checkpoint"),
            newest_seen=raw.get("newest_seen"),
            pages=int(raw.get("pages") or 0),
            counts=SyncCounts.from_dict(raw.get("counts")),
            shifts=[str(note) for note in raw.get("shifts") or []],
        )


def parse_instant(text: Any) -> datetime | None:
    """An ISO 8601 instant as stored here (always UTC); None for missing or unreadable values."""
    return parse_iso(text)


def newer(current: str | None, candidate: datetime | None) -> str | None:
    """The later of a stored ISO instant and a candidate, as ISO (the watermark only moves forward)."""
    if candidate is None:
        return current
    stored = parse_instant(current)
    if stored is not None and stored >= candidate:
        return current
    return format_utc(candidate)
