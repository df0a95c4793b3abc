"""A requests-per-second ceiling shared by every thread of one client."""

from __future__ import annotations

import threading

from restsync.clock import Clock
from restsync.errors import ConfigError


class RatePacer:
    """Hands out evenly spaced send slots; each caller sleeps (outside the lock) until its slot.

    Reserving slots rather than sleeping under the lock lets many threads wait at once while
    still keeping the overall rate at or below the ceiling.
    """

    def __init__(self, requests_per_second: float, clock: Clock):
        if not requests_per_second or requests_per_second <= 0:
            raise ConfigError(
                f"must be a positive number, got {requests_per_second!r}", key="requests_per_second"
            )
        self.interval = 1.0 / float(requests_per_second)
        self._clock = clock
        self._next_slot: float | None = None
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until this caller may send; returns the seconds it waited."""
        with self._lock:
            now = self._clock.monotonic()
            slot = now if self._next_slot is None else max(now, self._next_slot)
            self._next_slot = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._clock.sleep(wait)
        return max(wait, 0.0)
