"""`page` and `offset`: a number that advances per page, shared by one numeric base.

Both are addressable: once the first page tells a total, every later request is known up front
(`remaining_requests`), so the walker can fetch them concurrently. A size parameter is sent only
when configured; otherwise the server's own page size is learned from the first page.

What the responses prove beats what they claim; each rule is a module of its own, mixed into
the numeric base here:
- `undercount.py`: a full page where the total says the data ends is followed up;
- `repeats.py`: a page that repeats the one before is the API's end, a loop, or an ignored parameter;
- `shifts.py`: a total that changes between pages means the collection shifted: planned pages are
  dropped for one page at a time, and a shrink steps back to fetch again what moved over an edge;
- `bursts.py`: the pages fetched ahead, planned on a total or speculatively.

Without a total, pages are still addressable one step ahead: after a full page the walker asks
for the next few at once (`speculative_requests`), and the first empty page ends the walk. A total
the response offers unasked (a top-level integer `total`, `total_count` or `count` beside the items,
larger than page one) is used like a configured one; totals in headers always are.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import Any

from restsync.errors import ConfigError
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination.base import CONFIG_PREFIX, Paginator, Signals, as_int, fingerprint
from restsync.pagination.bursts import BurstPlanning
from restsync.pagination.placement import Placement
from restsync.pagination.repeats import RepeatRule
from restsync.pagination.shifts import ShiftRule
from restsync.pagination.undercount import UndercountRule

# Body keys read as the item total when no total_path is configured (DRF, Zendesk, Jira, ...).
BODY_TOTAL_KEYS = ("total", "total_count", "count")


class NumericPaginator(BurstPlanning, RepeatRule, ShiftRule, UndercountRule, Paginator):
    """A position (page number or offset) placed in every request; subclasses say how it steps."""

    def __init__(
        self,
        *,
        position: Placement,
        start: int,
        size: Placement | None = None,
        size_value: int | None = None,
        param_key: str,
        **signals: Any,
    ):
        super().__init__(**signals)
        self._placement = position
        self._size_placement = size if size_value is not None else None
        self._size_value = size_value
        self._start = start
        self._position = start  # what the next request sends
        self._pending: deque[int] = deque()  # positions handed out by remaining_requests, in order
        self._previous_fingerprint: str | None = None
        self._previous: tuple[int, list, str | None] | None = None  # (position, items, fingerprint)
        self._repeated: tuple[int, int, list] | None = None  # (position, repeating position, items)
        self._first_page_size: int | None = None
        self._last_page_full = False
        self._refetch = False  # this page was dropped after a shrink: its position is fetched again
        self._param_key = f"{CONFIG_PREFIX}.{param_key}"
        # (the API's total, "items" or "pages") once a full page at its claimed end proved it too low
        self.undercount: tuple[int, str] | None = None
        self._body_total_key: str | None = None  # an unconfigured body total adopted on page one
        self._just_started = False  # the page just read was the walk's first

    def init_request(self, req: RequestSpec) -> None:
        self._position = self._start
        self._place(req, self._start)

    def update_request(self, req: RequestSpec) -> None:
        self._pending.clear()  # requests handed out but never fed back were abandoned by the caller
        self._place(req, self._position)

    def _read_signals(self, response: ApiResponse, items: list) -> Signals:
        signals = super()._read_signals(response, items)
        if signals.total is not None or signals.total_pages is not None or self._signals.total_path:
            return signals
        data = response.data
        if not isinstance(data, dict):
            return signals
        if self._body_total_key is None:
            if self._first_page_size is not None:
                return signals  # adopted from page one only: a key that appears later proves nothing
            # Larger than page one, so not a count of this page's items.
            self._body_total_key = next((key for key in BODY_TOTAL_KEYS
                                         if type(data.get(key)) is int and data[key] > len(items)), None)
            if self._body_total_key is None:
                return signals
        total = as_int(data.get(self._body_total_key))
        return signals if total is None else replace(signals, total=total)

    def _advance(self, response: ApiResponse, items: list) -> bool:
        planned = bool(self._pending)  # this page was addressed up front, on an earlier total
        fed = self._pending.popleft() if self._pending else self._position
        first = self._first_page_size is None
        if first:
            self._first_page_size = len(items)
        self.probing = self.last_page_short = False
        self._just_started = first
        if self._repeated is not None:
            return self._confirm_end(fed, items)
        if self.total_change is not None and self._shifted(fed, items, planned):
            return True
        page_fingerprint = fingerprint(items) if items else None
        if (page_fingerprint is not None and page_fingerprint == self._previous_fingerprint
                and self._previous is not None and fed > self._previous[0] and self.total_change is None):
            # Only a page further on can repeat; one fetched again after a step back holds what
            # was yielded already, and the walker drops that.
            return self._repeat(fed, items)
        self._previous = (fed, items, page_fingerprint)
        self._previous_fingerprint = page_fingerprint
        self._position = self._next_position(fed, items)
        self._last_page_full = self._is_full(items, first)
        self.last_page_short = bool(items) and self._is_short(items, first)
        return True

    def _is_short(self, items: list, first: bool) -> bool:
        if self._size_value is not None and len(items) < self._size_value:
            return True
        return not first and bool(self._first_page_size) and len(items) < self._first_page_size

    def update_state(self, response: ApiResponse, items: list) -> None:
        self._refetch = False
        super().update_state(response, items)
        if self._refetch and not self.loop_detected:
            self.has_next = True  # even an empty page: what moved back over its edge is still to fetch
        if not self.has_next:
            self._pending.clear()  # the walker stops feeding addressed pages once the end is known

    def _place(self, req: RequestSpec, position: int) -> None:
        self._placement.place(req, position)
        if self._size_placement is not None:
            self._size_placement.place(req, self._size_value)

    def _position_state(self) -> dict:
        state = {self._state_key: self._resume_position(), "served_page_size": self._first_page_size}
        if self._body_total_key is not None:
            state["body_total_key"] = self._body_total_key
        return state

    def _resume_position(self) -> int:
        return self._position

    def _restore_position(self, state: dict) -> None:
        position = as_int(state.get(self._state_key))
        if position is None:
            raise ConfigError(f"checkpoint has no {self._state_key} number: {state!r}", "checkpoint")
        self._position = position
        self._first_page_size = as_int(state.get("served_page_size")) or None
        key = state.get("body_total_key")
        self._body_total_key = key if key in BODY_TOTAL_KEYS else None
        self._pending.clear()
        self._previous_fingerprint = None
        self._previous = None
        self._repeated = None

    # -- per style -----------------------------------------------------------------------------

    _state_key = "position"

    def _next_position(self, fed: int, items: list) -> int:
        raise NotImplementedError

    def _back_up(self, fed: int, items: int) -> int:
        """The position to fetch again so that `items` positions before `fed` are covered."""
        raise NotImplementedError

    def _addressable_positions(self) -> list[int]:
        """Every later position, when a total makes them known up front; empty otherwise."""
        raise NotImplementedError


class PageNumberPaginator(NumericPaginator):
    """`page`: page numbers from `start_page`; totals in pages or items end the walk."""

    style = "page"
    _state_key = "page"

    def __init__(
        self,
        *,
        page_param: str | None = None,
        start_page: int | None = None,
        page_size_param: str | None = None,
        page_size: int | None = None,
        page_in: str | None = None,
        **signals: Any,
    ):
        where = f"{CONFIG_PREFIX}.page_in"
        super().__init__(
            position=Placement.of(page_param or "page", page_in, where),
            start=1 if start_page is None else int(start_page),
            size=Placement.of(page_size_param or "per_page", page_in, where),
            size_value=page_size,
            param_key="page_param",
            **signals,
        )

    def _next_position(self, fed: int, items: list) -> int:
        return fed + 1

    def _claimed_end(self) -> bool:
        pages_done = self._position - self._start
        if self._total_pages is not None:
            return pages_done >= self._total_pages
        size = self._first_page_size or self._size_value  # what the server serves, capped or not
        if self._total is not None and size:
            return pages_done * size >= self._total  # positions, not items: duplicates do not count
        return super()._claimed_end()

    def _back_up(self, fed: int, items: int) -> int:
        size = self._first_page_size or self._size_value or 1
        return max(self._start, fed - math.ceil(items / size))

    def _addressable_positions(self) -> list[int]:
        if self._total_pages is not None:
            pages = self._total_pages
        elif self._total is not None and self._first_page_size:
            pages = math.ceil(self._total / self._first_page_size)
        else:
            return []
        return list(range(self._position, self._start + pages))


class OffsetPaginator(NumericPaginator):
    """`offset`: the next offset advances by the items actually received, so a capped page
    (asked 100, got 50) skips nothing."""

    style = "offset"
    _state_key = "offset"

    def __init__(
        self,
        *,
        offset_param: str | None = None,
        limit_param: str | None = None,
        start_offset: int | None = None,
        limit: int | None = None,
        offset_in: str | None = None,
        **signals: Any,
    ):
        where = f"{CONFIG_PREFIX}.offset_in"
        super().__init__(
            position=Placement.of(offset_param or "offset", offset_in, where),
            start=0 if start_offset is None else int(start_offset),
            size=Placement.of(limit_param or "limit", offset_in, where),
            size_value=limit,
            param_key="offset_param",
            **signals,
        )
        self._step: int | None = None  # the stride of addressed requests
        self._gap: int | None = None  # first offset a short addressed page left unfetched

    def _resume_position(self) -> int:
        # An open gap (a short page inside a concurrent burst) must survive a crash: resuming at
        # the later offset would skip it. Refetching a few pages is cheap; losing items is not.
        return self._position if self._gap is None else min(self._position, self._gap)

    def _next_position(self, fed: int, items: list) -> int:
        following = fed + len(items)
        if self._step is None:
            return following
        # Addressed pages were spaced by the first page's size; a shorter one leaves a gap that
        # must be fetched afterwards rather than silently skipped.
        if self._pending and len(items) < self._step and following < self._pending[0]:
            self._gap = following if self._gap is None else min(self._gap, following)
        if not self._pending:
            self._step = None
            if self._gap is not None:
                following, self._gap = self._gap, None
        return following

    def _claimed_end(self) -> bool:
        return self._total is not None and self._position >= self._total

    def _speculative_step(self) -> int:
        # The size the server really serves (a capped page is smaller than the limit asked for).
        self._step = step = self._first_page_size or self._size_value or 1
        return step

    def _back_up(self, fed: int, items: int) -> int:
        unfetched = fed if self._gap is None else min(fed, self._gap)
        self._step = self._gap = None
        return max(self._start, unfetched - items)

    def _addressable_positions(self) -> list[int]:
        step = self._first_page_size
        if self._total is None or not step:
            return []
        self._step = step
        return list(range(self._position, self._total, step))
