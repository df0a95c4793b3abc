"""`auto`: recognise the pagination style from the first response (`detect.py`), then behave as
that style."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from restsync.errors import ConfigError
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination.base import Paginator
from restsync.pagination.detect import Detection, detect


class AutoPaginator(Paginator):
    """Sends the first request as configured, detects the style from its response, then delegates."""

    style = "auto"

    def __init__(self, create: Callable[[str, Mapping[str, Any]], Paginator], **overrides: Any):
        """`create(style, params)` builds the detected style (the registry's `create_paginator`)."""
        super().__init__()
        self._create = create
        self._overrides = {key: value for key, value in overrides.items() if value is not None}
        self._delegate: Paginator | None = None
        self.detection: Detection | None = None
        self.detected: str | None = None
        self.undercount: tuple[int, str] | None = None

    def update_state(self, response: ApiResponse, items: list) -> None:
        if self._delegate is None:
            self._adopt(detect(response, items))
        assert self._delegate is not None
        self._delegate.update_state(response, items)
        self._mirror()

    def update_request(self, req: RequestSpec) -> None:
        if self._delegate is not None:
            self._delegate.update_request(req)

    def remaining_requests(self, req: RequestSpec) -> list[RequestSpec] | None:
        return self._delegate.remaining_requests(req) if self._delegate is not None else None

    def speculative_requests(self, req: RequestSpec, count: int) -> list[RequestSpec]:
        return self._delegate.speculative_requests(req, count) if self._delegate is not None else []

    def checkpoint(self) -> dict:
        if self._delegate is None or self.detection is None:
            return {}
        found = self.detection
        detected = {"style": found.style, "params": found.params, "description": found.description}
        return {"style": self.style, "detected": detected, "state": self._delegate.checkpoint()}

    def restore(self, state: dict) -> None:
        detected = state.get("detected")
        if state.get("style") != self.style or not isinstance(detected, dict):
            raise ConfigError(f"checkpoint is not from auto pagination: {state!r}", "checkpoint")
        self._adopt(Detection(str(detected.get("style")), dict(detected.get("params") or {}), str(detected.get("description", ""))))
        assert self._delegate is not None
        self._delegate.restore(state.get("state") or {})
        self._mirror()

    def _adopt(self, found: Detection) -> None:
        self.detection, self.detected = found, found.description
        # Keys the user configured (sizes, placements, paths) win over what was detected.
        self._delegate = self._create(found.style, {**found.params, **self._overrides})

    def _mirror(self) -> None:
        delegate = self._delegate
        assert delegate is not None
        self.has_next = delegate.has_next
        self.loop_detected = delegate.loop_detected
        # What the detected style concluded from this response (repeats, shifts, ends) holds here too.
        self.discard_page = delegate.discard_page
        self.burst_broken = delegate.burst_broken
        self.total_change = delegate.total_change
        self.end_reason = delegate.end_reason
        self.probing = delegate.probing
        self.last_page_short = delegate.last_page_short
        self.shift_notes = delegate.shift_notes
        self.undercount = getattr(delegate, "undercount", None)
