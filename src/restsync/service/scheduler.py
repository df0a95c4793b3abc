"""The scheduler: starts due syncs. Refresh intervals give incremental runs, prune intervals
full ones (which delete vanished items). `tick()` does one pass at the injected clock's time, so
tests drive it directly; `start()` runs it on a thread every `interval` real seconds."""

from __future__ import annotations

import logging
import threading
from typing import Any

from restsync.clock import Clock
from restsync.errors import RestSyncError
from restsync.service.connectors import ConnectorStore
from restsync.service.db import ConnectorRow
from restsync.service.errors import ConflictError
from restsync.service.syncs import SyncManager

logger = logging.getLogger("restsync.service")

DEFAULT_INTERVAL_S = 15.0


def due_kind(row: ConnectorRow, now: float) -> str | None:
    """"full" (prune due), "incremental" (refresh due) or None."""
    if row.status != "SCHEDULE" or row.dataset_id is None:
        return None
    if row.prune_freq and (row.last_prune_time is None or now - row.last_prune_time >= row.prune_freq * 60):
        return "full"
    if row.refresh_freq and (row.last_refresh_time is None or now - row.last_refresh_time >= row.refresh_freq * 60):
        return "incremental"
    return None


def next_times(row: ConnectorRow) -> dict[str, float | None]:
    def after(last: float | None, minutes: int | None) -> float | None:
        if not minutes or row.status != "SCHEDULE" or row.dataset_id is None:
            return None
        return (last or 0.0) + minutes * 60 if last is not None else None

    return {"next_refresh_time": after(row.last_refresh_time, row.refresh_freq),
            "next_prune_time": after(row.last_prune_time, row.prune_freq)}


class Scheduler:
    def __init__(self, connectors: ConnectorStore, syncs: SyncManager, clock: Clock,
                 interval: float = DEFAULT_INTERVAL_S):
        self._connectors = connectors
        self._syncs = syncs
        self._clock = clock
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[dict[str, Any]]:
        """Start every due sync that is not already running; returns the runs started."""
        now = self._clock.time()
        started = []
        for row in self._connectors.all():
            kind = due_kind(row, now)
            if kind is None or self._syncs.active_run_id(row.id) is not None:
                continue
            try:
                started.append(self._syncs.start(row.id, full=kind == "full", trigger="schedule"))
            except ConflictError:
                continue  # started by someone else a moment ago
            except RestSyncError as exc:
                logger.warning("scheduled sync of connector %s not started: %s", row.id, exc)
        return started

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="restsync-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - one bad pass must not end scheduling
                logger.warning("scheduler pass failed: %s", exc)
