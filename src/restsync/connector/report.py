"""What a walk found out, beyond the documents it yielded: the basis of every summary and exit status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from restsync.document import Document
from restsync.http.request import ApiResponse


@dataclass
class WalkReport:
    pages: int = 0
    items: int = 0  # objects found in responses
    documents: int = 0  # documents yielded (after the time window)
    dropped_items: int = 0  # array entries that were not JSON objects
    filtered_out: int = 0  # outside the requested time window (client-side filtering)
    truncated: bool = False
    truncation_reason: str | None = None
    complete: bool = False  # the listing ended on the API's own end-of-data signal
    end_reason: str | None = None  # how the end was recognised when it was not plain (a repeated last page)
    # How the collection visibly changed while it was listed (a total that moved, items listed
    # twice). A listing with shifts may be complete, but it is no basis for deleting anything.
    shifts: list[str] = field(default_factory=list)
    duplicates_skipped: int = 0  # items dropped because a previous page already held them
    elapsed_s: float = 0.0
    expected_items: int | None = None  # the API's own total, when it gives one (progress percentages)
    waiting: str | None = None  # set while a retry or rate-limit wait is under way, e.g. "rate limited: 30 s"
    warnings: list[str] = field(default_factory=list)
    slices: Any = None  # restsync.connector.slicing.SliceStats of a sliced walk
    parents: Any = None  # restsync.connector.parents.ParentStats of a parent/child walk

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def shift(self, note: str) -> None:
        self.shifts.append(note)

    @property
    def shifted(self) -> bool:
        return bool(self.shifts)

    def truncate(self, reason: str) -> None:
        self.truncated = True
        self.truncation_reason = reason

    @property
    def status(self) -> str:
        if self.truncated:
            return "truncated"
        return "complete" if self.complete else "incomplete"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "pages": self.pages,
            "items": self.items,
            "documents": self.documents,
            "dropped_items": self.dropped_items,
            "filtered_out": self.filtered_out,
            "truncated": self.truncated,
            "truncation_reason": self.truncation_reason,
            "end_reason": self.end_reason,
            "shifted": self.shifted,
            "shifts": list(self.shifts),
            "duplicates_skipped": self.duplicates_skipped,
            "elapsed_s": round(self.elapsed_s, 3),
            "warnings": list(self.warnings),
            **({"slices": self.slices.to_dict()} if self.slices is not None else {}),
            **({"parents": self.parents.to_dict()} if self.parents is not None else {}),
        }


@dataclass
class Probe:
    """Page 1 of a source, as `check` and `preview` show it."""

    request: str
    status: int
    elapsed_s: float
    response: ApiResponse
    items: Any  # restsync.extraction.items.ItemSelection
    pagination: str
    has_next: bool
    documents: list[Document]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # report lines on parents and slices
    total: int | None = None  # the API's total, when page 1 states one
