"""How many page requests a walk keeps ahead of the caller: enough to cover one round trip with the
caller's own work per page, and no more.

More requests than that buy nothing: at low latency the extra worker threads only contend with the
caller's mapping for the interpreter lock, and past the end of the data each one is wasted. So the
width follows what the walk measures (the API's latency, the caller's time per page), shrinks when
the API signals a rate limit, never exceeds `concurrency` or what `requests_per_second` can feed,
and, while no total says how much data there is, never exceeds the number of pages read so far, so
a short collection costs at most as many extra requests as it has pages (page one alone is
followed by one request, as a walk one page at a time would send).
"""

from __future__ import annotations

import math
from collections import deque

_SMOOTHING = 0.3  # weight of the newest observation in the running average of work
# Latency is the least of the last few round trips: a response that waited for the interpreter lock
# (the caller mapping a page) looks slower than the API is, and more threads would only wait longer.
_LATENCY_SAMPLES = 16


class BurstWidth:
    def __init__(self, ceiling: int, *, requests_per_second: float | None = None):
        self.ceiling = max(1, ceiling)
        self._rps = requests_per_second
        self._latencies: deque[float] = deque(maxlen=_LATENCY_SAMPLES)  # seconds per request
        self._work: float | None = None  # seconds the walk and its caller spend per page, averaged
        self._cap = self.ceiling  # lowered by rate-limit signals, regrown one step per clean page
        self._clean_pages = 0

    @property
    def latency(self) -> float | None:
        return min(self._latencies) if self._latencies else None

    @property
    def work(self) -> float | None:
        return self._work

    def observe_latency(self, seconds: float) -> None:
        self._latencies.append(max(0.0, seconds))

    def observe_work(self, seconds: float) -> None:
        self._work = _average(self._work, max(0.0, seconds))
        self._clean_pages += 1
        if self._cap < self.ceiling and self._clean_pages >= self._cap:
            self._cap += 1  # additive regrowth after a multiplicative cut, as TCP does
            self._clean_pages = 0

    def throttled(self) -> None:
        """The API asked us to slow down (429, Retry-After, an exhausted X-RateLimit budget)."""
        self._cap = max(1, self.target() // 2)
        self._clean_pages = 0

    def observe_remaining(self, remaining: int | None) -> None:
        """An `X-RateLimit-Remaining` budget: never more requests ahead than it allows."""
        if remaining is not None:
            self._cap = max(1, min(self._cap, remaining)) if remaining < self.ceiling else self._cap

    def target(self, *, pages_read: int | None = None) -> int:
        """Requests to keep ahead. `pages_read` (speculative walks) bounds it to the pages read so
        far, so requests past an unknown end stay in proportion to the data."""
        width = self.ceiling
        latency, work = self.latency, self._work
        if latency is not None and work is not None and work > 0:
            # A request sent now is needed after `width` pages of work: cover its round trip.
            width = min(width, math.ceil(latency / work) + 1)
        if self._rps and latency:
            width = min(width, max(1, math.ceil(self._rps * latency)) + 1)
        width = min(width, self._cap)
        if pages_read is not None:
            width = min(width, max(1, pages_read))
        return max(1, width)


def _average(previous: float | None, value: float) -> float:
    return value if previous is None else previous + _SMOOTHING * (value - previous)
