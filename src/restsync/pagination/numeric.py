"""`page` and `offset`: a number that advances per page, shared by one numeric base.

Both are addressable: once the first page tells a total, every later request is known up front
(`remaining_requests`), so the walker can fetch them concurrently. A size parameter is sent only
when configured; otherwise the server's own page size is learned from the first page.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from restsync.errors import ConfigError
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination.base import CONFIG_PREFIX, Paginator, as_int, fingerprint
from restsync.pagination.placement import Placement


class NumericPaginator(Paginator):
    """A position (page number or offset) placed in every request; subclasses say how it steps."""

    def __init__(
        self,
        *,
        position: Placement,
        start: int,
        size: Placement | None = None,
        size_value: int | None = None,
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
        self._first_page_size: int | None = None

    def init_request(self, req: RequestSpec) -> None:
        self._position = self._start
        self._place(req, self._start)

    def update_request(self, req: RequestSpec) -> None:
        self._pending.clear()  # requests handed out but never fed back were abandoned by the caller
        self._place(req, self._position)

    def remaining_requests(self, req: RequestSpec) -> list[RequestSpec] | None:
        if not self.has_next or self._pending:
            return None
        positions = self._addressable_positions()
        if not positions:
            return None
        requests = []
        for position in positions:
            request = req.copy()
            self._place(request, position)
            requests.append(request)
        self._pending = deque(positions)
        return requests

    def _advance(self, response: ApiResponse, items: list) -> bool:
        fed = self._pending.popleft() if self._pending else self._position
        if self._first_page_size is None:
            self._first_page_size = len(items)
        page_fingerprint = fingerprint(items) if items else None
        if page_fingerprint is not None and page_fingerprint == self._previous_fingerprint:
            self._flag_loop(
                f"{self._placement.name}={fed} returned the same items as the previous page "
                f"(the API seems to ignore {self._placement.describe()})",
                page_repeats=True,
            )
            return False
        self._previous_fingerprint = page_fingerprint
        self._position = self._next_position(fed, items)
        return True

    def update_state(self, response: ApiResponse, items: list) -> None:
        super().update_state(response, items)
        if not self.has_next:
            self._pending.clear()  # the walker stops feeding addressed pages once the end is known

    def _place(self, req: RequestSpec, position: int) -> None:
        self._placement.place(req, position)
        if self._size_placement is not None:
            self._size_placement.place(req, self._size_value)

    def _position_state(self) -> dict:
        return {self._state_key: self._position}

    def _restore_position(self, state: dict) -> None:
        position = as_int(state.get(self._state_key))
        if position is None:
            raise ConfigError(f"checkpoint has no {self._state_key} number: {state!r}", "checkpoint")
        self._position = position
        self._pending.clear()
        self._previous_fingerprint = None

    # -- per style -----------------------------------------------------------------------------

    _state_key = "position"

    def _next_position(self, fed: int, items: list) -> int:
        raise NotImplementedError

    def _addressable_positions(self) -> list[int]:
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
            **signals,
        )

    def _next_position(self, fed: int, items: list) -> int:
        return fed + 1

    def _total_reached(self) -> bool:
        pages_done = self._position - self._start
        if self._total_pages is not None:
            return pages_done >= self._total_pages
        return super()._total_reached()

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
            **signals,
        )
        self._step: int | None = None  # the stride of addressed requests
        self._gap: int | None = None  # first offset a short addressed page left unfetched

    def _position_state(self) -> dict:
        # An open gap (a short page inside a concurrent burst) must survive a crash: resuming at
        # the later offset would skip it. Refetching a few pages is cheap; losing items is not.
        position = self._position if self._gap is None else min(self._position, self._gap)
        return {self._state_key: position}

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

    def _total_reached(self) -> bool:
        return self._total is not None and self._position >= self._total

    def _addressable_positions(self) -> list[int]:
        step = self._first_page_size
        if self._total is None or not step:
            return []
        self._step = step
        return list(range(self._position, self._total, step))
