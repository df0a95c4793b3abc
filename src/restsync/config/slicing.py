"""`slice`: walk a time window in slices, for APIs that cap how deep one query may page.

    slice:
      start: 2015-01-01          # where a full sync begins (required: no API says portably where its data starts)
      step: 30d                  # the first slice's width: seconds, or a number with s, m, h, d or w
      max_items_per_slice: 1000  # the API's cap: a slice that lists this many is halved and walked again
      min_step: 1s               # the narrowest slice; one still over the cap is reported truncated
      cap_status: [400, 422]     # statuses that mean "past the cap" when a slice's later page gets them
      cap_message: result window # optional: the error text must also contain this
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from restsync.config import coerce, endpoint
from restsync.config.vocabulary import SLICE_KEYS, report_unknown_keys
from restsync.errors import ConfigError
from restsync.timestamps import parse_timestamp

PREFIX = "slice"
DEFAULT_MIN_STEP = 1
DEFAULT_CAP_STATUSES = (400, 422)  # Elasticsearch and Zendesk: 400; GitHub and Zendesk search: 422
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"\s*(\d+)\s*([smhdw]?)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class SliceConfig:
    start: datetime
    step_s: int
    max_items_per_slice: int = 1000
    min_step_s: int = DEFAULT_MIN_STEP
    cap_statuses: tuple[int, ...] = DEFAULT_CAP_STATUSES
    cap_message: str | None = None

    @classmethod
    def from_mapping(cls, raw: Any, *, strict: bool, warnings: list[str]) -> "SliceConfig | None":
        if coerce.is_unset(raw):
            return None
        if not isinstance(raw, Mapping):
            raise ConfigError("expected a mapping with start, step and max_items_per_slice", PREFIX)
        report_unknown_keys(raw, SLICE_KEYS, prefix=PREFIX, strict=strict, warnings=warnings)
        start = parse_timestamp(raw.get("start"))
        if start is None:
            raise ConfigError("a sliced source needs a start time (ISO 8601 or epoch seconds): a full sync "
                              "walks from there to now", f"{PREFIX}.start")
        if raw.get("step") is None:
            raise ConfigError("a sliced source needs a step (like 7d, 12h or 3600)", f"{PREFIX}.step")
        step = duration(raw.get("step"), f"{PREFIX}.step")
        min_step = duration(raw.get("min_step"), f"{PREFIX}.min_step") if raw.get("min_step") is not None \
            else DEFAULT_MIN_STEP
        if min_step > step:
            raise ConfigError(f"must not be wider than step ({step} s)", f"{PREFIX}.min_step")
        cap = coerce.integer(raw.get("max_items_per_slice"), f"{PREFIX}.max_items_per_slice", minimum=1,
                             expected="a positive integer")
        if cap is None:
            # A slice's documents are held until it is known to fit: the cap bounds that memory.
            raise ConfigError("a sliced source needs the API's result cap (Elasticsearch 10000, Zendesk "
                              "and GitHub search 1000)", f"{PREFIX}.max_items_per_slice")
        return cls(
            start=start,
            step_s=step,
            max_items_per_slice=cap,
            min_step_s=min_step,
            cap_statuses=_statuses(raw.get("cap_status")),
            cap_message=coerce.optional_str(raw.get("cap_message"), f"{PREFIX}.cap_message"),
        )

    def check_source(self, *, url: str, query_params: Mapping[str, str], request_body: Any,
                     poll_timestamp_field: str | None, has_parent: bool) -> None:
        """What slicing needs from the source it slices: the window sent to the API, item timestamps."""
        if not endpoint.uses_poll_placeholders(url, query_params, request_body):
            raise ConfigError("slicing sends each slice's bounds to the API: put {poll_start} and {poll_end} "
                              "in url, query_params or request_body", PREFIX)
        if not poll_timestamp_field:
            raise ConfigError("slicing needs poll_timestamp_field: items on a slice's edges are kept in "
                              "exactly one slice by their timestamp", PREFIX)
        if has_parent:
            raise ConfigError("slice and parent cannot be combined: slice the parent's children "
                              "in a source of their own", PREFIX)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "step": self.step_s,
            "max_items_per_slice": self.max_items_per_slice,
            "min_step": self.min_step_s,
            "cap_status": list(self.cap_statuses),
            "cap_message": self.cap_message,
        }


def duration(value: Any, key: str) -> int:
    """Whole seconds from `3600`, `"90m"`, `"12h"`, `"7d"` or `"2w"`; at least one second."""
    if isinstance(value, bool):
        raise ConfigError(f"expected a duration like 7d, 12h or 3600, got {value!r}", key)
    if isinstance(value, (int, float)):
        seconds = int(value)
    else:
        match = _DURATION.fullmatch(str(value))
        if not match:
            raise ConfigError(f"expected a duration like 7d, 12h, 30m, 45s or 3600, got {value!r}", key)
        seconds = int(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if seconds < 1:
        raise ConfigError(f"must be at least one second, got {value!r}", key)
    return seconds


def _statuses(value: Any) -> tuple[int, ...]:
    key = f"{PREFIX}.cap_status"
    if coerce.is_unset(value):
        return DEFAULT_CAP_STATUSES
    values = value if isinstance(value, list) else [value]
    statuses = []
    for entry in values:
        status = coerce.integer(entry, key, minimum=400, expected="HTTP status codes (400-599)")
        if status is None or status > 599 or status in (401, 403, 429):
            raise ConfigError(f"expected HTTP error statuses other than 401, 403 and 429, got {entry!r}", key)
        statuses.append(status)
    return tuple(statuses)
