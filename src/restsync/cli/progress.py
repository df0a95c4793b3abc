"""A one-line progress display on stderr: redrawn in place on a terminal, a final line otherwise.

Logs and CI output stay readable because nothing is redrawn when stderr is not a tty.
"""

from __future__ import annotations

from typing import TextIO

from restsync.clock import Clock, SystemClock

REDRAW_INTERVAL_S = 0.1  # at most ten redraws a second, so printing never slows a fast fetch


class Progress:
    def __init__(self, stream: TextIO, *, label: str = "fetch", clock: Clock | None = None,
                 interactive: bool | None = None):
        self._stream = stream
        self._label = label
        self._clock = clock or SystemClock()
        self._interactive = _is_tty(stream) if interactive is None else interactive
        self._started = self._clock.monotonic()
        self._last_draw = float("-inf")
        self._drawn_width = 0
        self.pages = 0
        self.documents = 0

    @property
    def elapsed_s(self) -> float:
        return self._clock.monotonic() - self._started

    def update(self, *, pages: int | None = None, documents: int | None = None) -> None:
        if pages is not None:
            self.pages = pages
        if documents is not None:
            self.documents = documents
        if not self._interactive:
            return
        now = self._clock.monotonic()
        if now - self._last_draw >= REDRAW_INTERVAL_S:
            self._last_draw = now
            self._draw(self.line())

    def line(self) -> str:
        elapsed = self.elapsed_s
        rate = self.documents / elapsed if elapsed > 0 else 0.0
        return (f"{self._label}: {self.pages} pages, {self.documents} documents, "
                f"{rate:,.0f} docs/s, {_format_duration(elapsed)}")

    def finish(self, suffix: str = "") -> None:
        """Write the final line (always, tty or not), ending the redrawn one."""
        text = self.line() + (f" {suffix}" if suffix else "")
        if self._interactive:
            self._draw(text)
            self._stream.write("\n")
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

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
