"""A one-line progress display on stderr: redrawn in place on a terminal, a final line otherwise.

Logs and CI output stay readable because nothing is redrawn when stderr is not a tty. When the
API says how many items it holds the line shows a percentage and an ETA; while a retry or
rate-limit wait is under way it says so (on a terminal in the line, otherwise as one log line
per wait), so a long wait never looks like a hang.
"""

from __future__ import annotations

import threading
from typing import Any, TextIO

from restsync.clock import Clock, SystemClock

REDRAW_INTERVAL_S = 0.1  # at most ten redraws a second, so printing never slows a fast fetch
MIN_ETA_ELAPSED_S = 1.0  # an ETA from the first instants of a walk would swing wildly
_UNCHANGED: Any = object()  # `waiting` not passed: keep the current text (None clears it)


class Progress:
    def __init__(self, stream: TextIO, *, label: str = "fetch", clock: Clock | None = None,
                 interactive: bool | None = None, quiet: bool = False):
        self._stream = stream
        self._label = label
        self._clock = clock or SystemClock()
        self._interactive = False if quiet else (_is_tty(stream) if interactive is None else interactive)
        self._quiet = quiet
        self._started = self._clock.monotonic()
        self._last_draw = float("-inf")
        self._drawn_width = 0
        # The connector may report a wait from a worker thread while the main thread reports pages.
        self._lock = threading.Lock()
        self.pages = 0
        self.documents = 0
        self.items: int | None = None  # items found so far, when known (the unit of `expected`)
        self.expected: int | None = None  # the API's own total, when it gives one
        self.waiting: str | None = None

    @property
    def elapsed_s(self) -> float:
        return self._clock.monotonic() - self._started

    def follow(self, report: Any) -> None:
        """Update from a connector's running WalkReport (its `on_progress` callback)."""
        self.update(pages=report.pages, documents=report.documents, items=getattr(report, "items", None),
                    expected=getattr(report, "expected_items", None),
                    waiting=getattr(report, "waiting", None))

    def update(self, *, pages: int | None = None, documents: int | None = None, items: int | None = None,
               expected: int | None = None, waiting: str | None = _UNCHANGED) -> None:
        with self._lock:
            if pages is not None:
                self.pages = pages
            if documents is not None:
                self.documents = documents
            if items is not None:
                self.items = items
            if expected is not None:
                self.expected = expected
            wait_changed = waiting is not _UNCHANGED and waiting != self.waiting
            if wait_changed:
                self.waiting = waiting
            if self._quiet:
                return
            if not self._interactive:
                if wait_changed and waiting:
                    self._stream.write(f"{self._label}: {waiting}\n")
                    self._stream.flush()
                return
            now = self._clock.monotonic()
            # A wait starting or ending is drawn at once: it may be the last update for a while.
            if wait_changed or now - self._last_draw >= REDRAW_INTERVAL_S:
                self._last_draw = now
                self._draw(self.line())

    def line(self) -> str:
        elapsed = self.elapsed_s
        rate = self.documents / elapsed if elapsed > 0 else 0.0
        text = (f"{self._label}: {self.pages} pages, {self.documents} documents{self._share()}, "
                f"{rate:,.0f} docs/s, {_format_duration(elapsed)}")
        eta = self.eta_s()
        if eta is not None:
            text += f", ETA {_format_duration(eta)}"
        if self.waiting:
            text += f" | {self.waiting}"
        return text

    def eta_s(self) -> float | None:
        """Seconds left at the rate so far, when the API's total is known and the rate means something."""
        done, elapsed = self._done(), self.elapsed_s
        if self.expected is None or done <= 0 or elapsed < MIN_ETA_ELAPSED_S or done >= self.expected:
            return None
        return (self.expected - done) * elapsed / done

    def percent(self) -> float | None:
        if not self.expected:
            return None
        # API totals can be stale (items added mid-walk): never show more than 100%.
        return min(100.0, 100.0 * self._done() / self.expected)

    def finish(self, suffix: str = "") -> None:
        """Write the final line (always, tty or not), ending the redrawn one."""
        with self._lock:
            self.waiting = None
            text = self.line() + (f" {suffix}" if suffix else "")
            if self._interactive:
                self._draw(text)
                self._stream.write("\n")
            else:
                self._stream.write(text + "\n")
            self._stream.flush()

    def _done(self) -> int:
        # `expected` counts the API's items; documents may be fewer after a time window.
        return self.items if self.items is not None else self.documents

    def _share(self) -> str:
        percent = self.percent()
        if percent is None:
            return ""
        return f" ({self._done():,} of {self.expected:,} items, {percent:.0f}%)"

    def _draw(self, text: str) -> None:
        padding = " " * max(0, self._drawn_width - len(text))
        self._stream.write("\r" + text + padding)
        self._stream.flush()
        self._drawn_width = len(text)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
