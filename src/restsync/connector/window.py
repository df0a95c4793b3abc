"""The incremental window: sent to the server through placeholders, or applied to documents here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from restsync.document import Document
from restsync.strings import replace_in_strings
from restsync.timestamps import to_utc

POLL_PLACEHOLDERS = ("{poll_start}", "{poll_end}")


@dataclass(frozen=True)
class TimeWindow:
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def of(cls, start: Any = None, end: Any = None) -> "TimeWindow":
        return cls(to_utc(start), to_utc(end))

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None

    def contains(self, doc: Document) -> bool:
        """Half-open [start, end); documents without a timestamp are kept, never silently dropped."""
        moment = doc.doc_updated_at
        if moment is None:
            return True
        if self.start is not None and moment < self.start:
            return False
        if self.end is not None and moment >= self.end:
            return False
        return True


# How a walk applies a time window (`window_rule`).
WINDOW_BY_API = "api"  # {poll_start}/{poll_end} in a request: the API is asked for the window
WINDOW_HERE = "here"  # every page is fetched; documents are kept by their poll_timestamp_field
WINDOW_IGNORED = "ignored"  # neither: a window narrows nothing, every document is yielded


def window_rule(config: Any) -> str:
    """How a walk of `config` applies a time window: one of the WINDOW_* values above. With
    placeholders the documents are still checked against the window when they carry a timestamp."""
    requests = [(config.url, config.query_params, config.request_body)]
    parent = getattr(config, "parent", None)
    if parent is not None:
        requests.append((parent.url, parent.query_params, parent.request_body))
    if any(uses_placeholders(*request) for request in requests):
        return WINDOW_BY_API
    return WINDOW_HERE if config.poll_timestamp_field else WINDOW_IGNORED


def uses_placeholders(*values: Any) -> bool:
    """True if any string inside the given values (nested dicts/lists included) names a poll placeholder."""
    return any(_mentions(value) for value in values)


def _mentions(value: Any) -> bool:
    if isinstance(value, str):
        return any(p in value for p in POLL_PLACEHOLDERS)
    if isinstance(value, dict):
        return any(_mentions(k) or _mentions(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_mentions(v) for v in value)
    return False


def fill_placeholders(value: Any, replacements: dict[str, str]) -> Any:
    """Replace poll placeholders in every string inside value, leaving other types untouched."""
    return replace_in_strings(value, replacements)
