"""The paginator protocol, the stop signals every style shares, and loop detection.

A paginator places first-page values (`init_request`), reads each response into state
(`update_state`), and places next-page values (`update_request`). `has_next` says whether to go
on. The stop rules are the same for every style and live here: an empty page, `has_more` false,
or a total reached ends a walk; a short page never does on its own, because servers cap page
sizes. A style ends a walk too when its next value is missing, and `loop_detected` explains a
stop caused by a repeating cursor, URL or page.

Each response may also tell the walker to drop its items (`discard_page`: a repeat, or a page
fetched across a shift that must be fetched again), to stop fetching pages planned up front
(`burst_broken`), why the data ended (`end_reason`), and that the collection changed while it was
walked (`shift_notes`, `total_change`): such a listing is no basis for deleting anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import xxhash

from restsync.errors import ConfigError
from restsync.extraction.jsonpath import compile_path, find_first
from restsync.http.request import ApiResponse, RequestSpec

CONFIG_PREFIX = "pagination_config"

# "items 0-24/319", "0-24/319", "*/319"; an unknown length ("/*") gives no total.
_CONTENT_RANGE = re.compile(r"(?:[A-Za-z]+\s+)?(?:\d+-\d+|\*)/(\d+)\s*$")


def read_path(data: Any, path: str) -> Any:
    """The first value a `*_path` JSONPath matches in a response body, or None."""
    return find_first(data, path)


def check_path(path: str | None, name: str) -> str | None:
    """Compile a configured JSONPath up front so a typo fails before the first request."""
    if path is not None:
        compile_path(path, f"{CONFIG_PREFIX}.{name}")
    return path


def as_int(value: Any) -> int | None:
    """A count from a body or header: ints, integral floats and digit strings; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        return int(value.strip())
    return None


def as_flag(value: Any) -> bool | None:
    """A `has_more`-style flag: booleans, "true"/"false", 0/1; None when absent or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    return None


def header_totals(headers: httpx.Headers) -> tuple[int | None, int | None]:
    """(total items, total pages) from X-Total-Count, X-WP-Total, X-WP-TotalPages and Content-Range."""
    total = _first_known(as_int(headers.get("x-total-count")), as_int(headers.get("x-wp-total")))
    if total is None:
        match = _CONTENT_RANGE.search(headers.get("content-range", ""))
        total = int(match.group(1)) if match else None
    return total, as_int(headers.get("x-wp-totalpages"))


def fingerprint(items: list) -> str:
    """Identity of a page's items, to notice an API that ignores the page/offset parameter.

    Length plus the first, middle and last items: a repeated page matches on all of them, two different
    pages practically never do, and it costs microseconds where hashing a whole page cost milliseconds.
    """
    # Small pages are hashed whole: with one item a page, one item seen twice is not yet a loop.
    sample = items if len(items) <= 8 else [len(items), items[0], items[len(items) // 2], items[-1]]
    text = json.dumps(sample, sort_keys=True, separators=(",", ":"), default=str)
    return xxhash.xxh3_64_hexdigest(text.encode("utf-8"))


@dataclass(frozen=True)
class Signals:
    has_more: bool | None
    total: int | None
    total_pages: int | None


@dataclass(frozen=True)
class StopSignals:
    """Where to read `has_more` and totals; configured paths win over the standard headers."""

    has_more_path: str | None = None
    total_path: str | None = None
    total_pages_path: str | None = None

    def read(self, response: ApiResponse) -> Signals:
        total, total_pages = header_totals(response.headers)
        if self.total_path:
            total = _first_known(as_int(read_path(response.data, self.total_path)), total)
        if self.total_pages_path:
            total_pages = _first_known(as_int(read_path(response.data, self.total_pages_path)), total_pages)
        has_more = as_flag(read_path(response.data, self.has_more_path)) if self.has_more_path else None
        return Signals(has_more, total, total_pages)


def _first_known(preferred: int | None, fallback: int | None) -> int | None:
    return preferred if preferred is not None else fallback


class Paginator:
    """Base of every style: shared stop rules, checkpoint bookkeeping and loop reporting."""

    style: ClassVar[str] = "none"

    def __init__(
        self,
        *,
        has_more_path: str | None = None,
        total_path: str | None = None,
        total_pages_path: str | None = None,
    ):
        self.has_next = True
        self.loop_detected: str | None = None
        # Set per response. `discard_page`: this page's items must not be yielded (it repeats a
        # page already yielded, or was fetched across a shift and is fetched again). A repeated
        # cursor or next URL only means the *next* request would repeat, so its page is kept.
        self.discard_page = False
        # The pages planned by `remaining_requests` no longer fit the collection: fetch no more of them.
        self.burst_broken = False
        # (previous, new) when this response states another total than the one before it.
        self.total_change: tuple[int, int] | None = None
        self.end_reason: str | None = None  # why the data ended, when it was not an empty page or a total
        # The next request looks past the end the API claimed (its total): a client error there
        # (WordPress answers 400 past its last page) confirms the claim instead of failing the walk.
        self.probing = False
        self.shift_notes: list[str] = []  # how the collection visibly changed during the walk
        # The page just read was shorter than the pages before it (or than the configured size): a
        # client error on the next request is the API refusing a page past its end, not a failure.
        self.last_page_short = False
        self._stated_total: int | None = None
        self._signals = StopSignals(
            check_path(has_more_path, "has_more_path"),
            check_path(total_path, "total_path"),
            check_path(total_pages_path, "total_pages_path"),
        )
        self._items_seen = 0
        self._total: int | None = None
        self._total_pages: int | None = None

    @property
    def total(self) -> int | None:
        """The API's own item count, once a response has stated it."""
        return self._total

    # -- the protocol ------------------------------------------------------------------------

    def init_request(self, req: RequestSpec) -> None:
        """Place first-page values (nothing by default)."""

    def update_state(self, response: ApiResponse, items: list) -> None:
        self.discard_page = self.burst_broken = False
        self.total_change = None
        self._items_seen += len(items)
        signals = self._read_signals(response, items)
        # The latest response that states a total wins: totals grow while we walk.
        if signals.total is not None:
            if self._stated_total is not None and signals.total != self._stated_total:
                self.total_change = (self._stated_total, signals.total)
            self._stated_total = self._total = signals.total
        if signals.total_pages is not None:
            self._total_pages = signals.total_pages
        more = self._advance(response, items)
        if self.loop_detected:
            self.has_next = False
            return
        self.has_next = bool(more and items and signals.has_more is not False and not self._total_reached())

    def update_request(self, req: RequestSpec) -> None:
        """Place next-page values."""

    def remaining_requests(self, req: RequestSpec) -> list[RequestSpec] | None:
        """Requests for every later page when they are addressable up front; None otherwise."""
        return None

    def speculative_requests(self, req: RequestSpec, count: int) -> list[RequestSpec]:
        """Up to `count` requests for the pages after those already handed out, when no total says
        where the data ends but the pages so far were full: the walker fetches them ahead, and the first
        empty page ends the walk. Empty when this style cannot address pages or the last page was short."""
        return []

    def checkpoint(self) -> dict:
        state = {
            "style": self.style,
            "has_next": self.has_next,
            "items_seen": self._items_seen,
            "total": self._total,
            "total_pages": self._total_pages,
        }
        state.update(self._position_state())
        return state

    def restore(self, state: dict) -> None:
        style = state.get("style", self.style)
        if style != self.style:
            raise ConfigError(f"checkpoint is for {style!r} pagination, the config uses {self.style!r}", "checkpoint")
        self.has_next = bool(state.get("has_next", True))
        self.loop_detected = None
        self.discard_page = self.burst_broken = False
        self._items_seen = as_int(state.get("items_seen")) or 0
        self._total = self._stated_total = as_int(state.get("total"))
        self._total_pages = as_int(state.get("total_pages"))
        self._restore_position(state)

    # -- what each style fills in ------------------------------------------------------------

    def _read_signals(self, response: ApiResponse, items: list) -> Signals:
        return self._signals.read(response)

    def _advance(self, response: ApiResponse, items: list) -> bool:
        """Move to the next position from this response; False when the style has no next value."""
        return False

    def _total_reached(self) -> bool:
        return self._total is not None and self._items_seen >= self._total

    def _position_state(self) -> dict:
        return {}

    def _restore_position(self, state: dict) -> None:
        """Read back what `_position_state` wrote."""

    def _flag_loop(self, reason: str, *, page_repeats: bool = False) -> None:
        self.loop_detected = reason
        self.discard_page = page_repeats
        self.has_next = False


class NoPaginator(Paginator):
    """`none`: one request."""

    style = "none"

    def update_state(self, response: ApiResponse, items: list) -> None:
        super().update_state(response, items)
        self.has_next = False

    def checkpoint(self) -> dict:
        return {}
