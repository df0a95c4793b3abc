"""Sync runs: one at a time per connector, under a global limit, cancellable, with live progress,
recorded in the run history, and resumed after a restart.

A run is the library's `SourceSync` (the same engine as `restsync sync`) on the dataset's knowledge
base, with the connector id as the source name. Cancelling, a timeout or a shutdown stop it at the
next page boundary, after that page's checkpoint is saved, so nothing is lost and the next run
continues the same listing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from restsync.clock import Clock
from restsync.errors import RestSyncError, SyncInProgressError
from restsync.service.page_stop import StopAtPageBoundary, SyncCancelled
from restsync.service.connectors import ConnectorStore, load_source_config
from restsync.service.datasets import DatasetStore
from restsync.service.db import ConnectorRow, RunRow
from restsync.service.errors import ConflictError, InvalidRequestError
from restsync.service.jobs import SHUTDOWN, CancelToken, JobRunner
from restsync.sync import SourceSync, SyncOptions, add_source

logger = logging.getLogger("restsync.service")

QUEUED, RUNNING = "queued", "running"
CANCELLED, INTERRUPTED, FAILED = "cancelled", "interrupted", "failed"
ACTIVE = (QUEUED, RUNNING)
PERSIST_EVERY_S = 1.0  # live counts reach the database at most this often (and at the end)
TRIGGERS = ("manual", "schedule", "link", "resume")


def run_to_dict(row: RunRow, live: dict[str, Any] | None = None) -> dict[str, Any]:
    counts = dict(row.counts or {})
    if live:
        counts.update(live)
    return {
        "id": row.id, "connector_id": row.connector_id, "dataset_id": row.dataset_id,
        "mode": counts.get("mode") or row.mode, "trigger": row.trigger, "status": row.status,
        "resumed": bool(counts.get("resumed", row.resumed)), "create_time": row.create_time,
        "started_at": row.started_at, "finished_at": row.finished_at,
        "pages": counts.get("pages", 0),
        **{key: counts.get(key, 0) for key in (
            "documents_fetched", "documents_new", "documents_updated", "documents_unchanged",
            "documents_deleted", "documents_failed", "chunks_embedded")},
        "expected_items": counts.get("expected_items"), "percent": counts.get("percent"),
        "eta_s": counts.get("eta_s"), "waiting": counts.get("waiting") if row.status == RUNNING else None,
        "truncation_reason": counts.get("truncation_reason"), "error": row.error,
        "warnings": list(counts.get("warnings") or []),
    }


class SyncManager:
    def __init__(self, sessions: sessionmaker, datasets: DatasetStore, connectors: ConnectorStore,
                 runner: JobRunner, clock: Clock, allow_private: Callable[[ConnectorRow], bool]):
        self._sessions = sessions
        self._datasets = datasets
        self._connectors = connectors
        self._runner = runner
        self._clock = clock
        self._allow_private = allow_private
        self._lock = threading.Lock()
        # A distributed runner's runs live in the shared database, not in this process.
        self._shared = bool(getattr(runner, "shared", False))
        self._active: dict[str, int] = {}  # connector id -> its queued or running run
        self._live: dict[int, dict[str, Any]] = {}  # run id -> progress not yet persisted

    # -- starting and stopping -----------------------------------------------------------------
    def start(self, connector_id: str, *, full: bool = False, trigger: str = "manual") -> dict[str, Any]:
        connector = self._connectors.get(connector_id)
        if connector.dataset_id is None:
            raise InvalidRequestError(f"connector {connector_id} is not linked to a dataset; set its dataset_id",
                                      key="dataset_id")
        with self._lock:
            running = self._shared_active(connector_id) if self._shared else self._active.get(connector_id)
            if running is not None:
                row = self._run(running)
                who = "the scheduler" if row and row.trigger == "schedule" else "an earlier request"
                raise ConflictError(f"connector {connector_id}: a sync is already {row.status if row else 'running'} "
                                    f"(run {running}, started by {who}); wait for it or cancel it")
            now = self._clock.time()
            row = RunRow(connector_id=connector_id, dataset_id=connector.dataset_id,
                         mode="full" if full else "incremental", full=full, trigger=trigger, status=QUEUED,
                         create_time=now, counts={})
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                run_id = row.id
                stored = session.get(ConnectorRow, connector_id)
                stored.last_refresh_time = now
                if full or stored.last_prune_time is None:
                    stored.last_prune_time = now  # a full listing (the first run is one) resets the prune clock
            self._active[connector_id] = run_id
        try:
            self._runner.submit(str(run_id), lambda token: self._execute(run_id, token))
        except Exception as exc:  # the runner is shutting down: the run must not stay queued
            with self._lock:
                self._active.pop(connector_id, None)
            with self._sessions.begin() as session:
                stored = session.get(RunRow, run_id)
                stored.status, stored.error, stored.finished_at = FAILED, _describe(exc), self._clock.time()
            raise ConflictError(f"connector {connector_id}: the server is stopping; no sync started") from None
        return run_to_dict(row)

    def cancel(self, connector_id: str, reason: str = "cancelled by request") -> dict[str, Any]:
        run_id = self.active_run_id(connector_id)
        if run_id is not None and self._shared:
            return self._cancel_shared(run_id, reason)
        if run_id is None or not self._runner.cancel(str(run_id), reason):
            raise ConflictError(f"connector {connector_id}: no sync is queued or running")
        return self.run(run_id)

    def _cancel_shared(self, run_id: int, reason: str) -> dict[str, Any]:
        """A run of the distributed queue: the request is recorded in the shared database. The
        worker running it reads it at the next page boundary and ends the run `cancelled`; a run
        whose job has not started (or has no job any more) is closed here, since no worker will."""
        with self._sessions.begin() as session:  # the reason travels on the run to its worker
            session.execute(update(RunRow).where(RunRow.id == run_id, RunRow.status.in_(ACTIVE)).values(error=reason))
        self._runner.cancel(str(run_id), reason)
        if not self._runner.is_active(str(run_id)):
            now = self._clock.time()
            with self._sessions.begin() as session:
                stored = session.get(RunRow, run_id)
                if stored is not None and stored.status in ACTIVE:
                    stored.status, stored.error, stored.finished_at = CANCELLED, reason, now
                    stored.started_at = stored.started_at or now
        return self.run(run_id)

    def requested_cancel(self, run_id: int) -> str:
        """The reason recorded with a cancel of this run (for the worker that stops it)."""
        row = self._run(run_id)
        return (row.error if row is not None else None) or "cancelled by request"

    def cancel_quietly(self, connector_id: str, reason: str) -> None:
        try:
            self.cancel(connector_id, reason)
        except ConflictError:
            pass

    def wait_idle(self, connector_id: str, timeout: float) -> bool:
        """Wait (real time) until the connector has no active run; True when it has none."""
        event = threading.Event()
        deadline = time.monotonic() + timeout  # real time: the injected clock may be a fake one
        while self.active_run_id(connector_id) is not None:
            if time.monotonic() >= deadline:
                return False
            event.wait(0.02)
        return True

    def recover(self) -> list[dict[str, Any]]:
        """After a restart: close the runs the last process left queued or running (a crash) as
        `interrupted`, and start one `resume` run per connector whose last run was interrupted
        (the engine continues the saved listing from its checkpoint). With a distributed runner
        the workers own the runs (a dead worker's job is retried by another): nothing to do."""
        if self._shared:
            return []
        now = self._clock.time()
        with self._sessions.begin() as session:
            stale = list(session.scalars(select(RunRow).where(RunRow.status.in_(ACTIVE)).order_by(RunRow.id)))
            for row in stale:
                row.status = INTERRUPTED
                row.finished_at = now
                row.error = "interrupted: the server stopped before the run finished; resumed in a new run"
            session.flush()
            latest = (select(RunRow.connector_id, func.max(RunRow.id).label("last")).group_by(RunRow.connector_id)
                      .subquery())
            interrupted = list(session.scalars(
                select(RunRow).join(latest, RunRow.id == latest.c.last).where(RunRow.status == INTERRUPTED)))
        resumed = []
        for connector_id, full in dict((row.connector_id, row.full) for row in interrupted).items():
            try:
                resumed.append(self.start(connector_id, full=full, trigger="resume"))
            except RestSyncError as exc:  # deleted or unlinked since: nothing to resume
                logger.info("not resuming connector %s: %s", connector_id, exc)
        return resumed

    def shutdown(self, timeout: float) -> None:
        """Stop every run at its next page boundary; runs that do not stop in time are recorded as
        interrupted (their checkpoint is saved page by page, so the next start resumes them)."""
        still_running = self._runner.shutdown(timeout=timeout)
        if still_running:
            with self._sessions.begin() as session:
                session.execute(update(RunRow).where(RunRow.id.in_([int(i) for i in still_running]))
                                .values(status=INTERRUPTED, finished_at=self._clock.time(),
                                        error="interrupted: the server stopped during the run"))

    # -- reading ------------------------------------------------------------------------------
    def active_run_id(self, connector_id: str) -> int | None:
        if self._shared:
            return self._shared_active(connector_id)
        with self._lock:
            return self._active.get(connector_id)

    def _shared_active(self, connector_id: str) -> int | None:
        with self._sessions() as session:
            return session.scalar(select(RunRow.id).where(RunRow.connector_id == connector_id, RunRow.status.in_(ACTIVE))
                                  .order_by(RunRow.id.desc()))

    def execute(self, run_id: int, token: CancelToken, *, worker: str) -> None:
        """Run `run_id` here, for a distributed worker: the run records which worker holds it
        (a run taken over from a dead worker resumes from the source's saved checkpoint)."""
        with self._sessions.begin() as session:
            stored = session.get(RunRow, run_id)
            if stored is None or stored.status not in ACTIVE:
                return  # finished already: a retried job must not run it twice
            stored.worker, stored.heartbeat_at = worker, self._clock.time()
        self._execute(run_id, token)

    def run(self, run_id: int) -> dict[str, Any]:
        row = self._run(run_id)
        if row is None:
            raise InvalidRequestError(f"no run {run_id}")
        with self._lock:
            live = dict(self._live.get(run_id) or {})
        return run_to_dict(row, live)

    def progress(self, connector_id: str) -> dict[str, Any]:
        run_id = self.active_run_id(connector_id)
        if run_id is not None:
            return {"running": True, "run": self.run(run_id)}
        last = self.last_run(connector_id)
        return {"running": False, "run": last}

    def last_run(self, connector_id: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.scalar(select(RunRow).where(RunRow.connector_id == connector_id).order_by(RunRow.id.desc()))
        if row is None:
            return None
        return self.run(row.id)

    def logs(self, connector_id: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        with self._sessions() as session:
            query = select(RunRow).where(RunRow.connector_id == connector_id)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(RunRow.id.desc()).offset(offset).limit(limit)))
        with self._lock:
            live = {row.id: dict(self._live.get(row.id) or {}) for row in rows}
        return [run_to_dict(row, live[row.id]) for row in rows], total

    def _run(self, run_id: int) -> RunRow | None:
        with self._sessions() as session:
            return session.get(RunRow, run_id)

    # -- one run -------------------------------------------------------------------------------
    def _execute(self, run_id: int, token: CancelToken) -> None:
        row = self._run(run_id)
        status, error, counts = FAILED, None, dict(row.counts or {}) if row else {}
        try:
            if row is None:
                return
            if token.cancelled:
                status, error = self._stopped_status(token), token.reason
                return
            status, error, counts = self._sync(row, token)
        except Exception as exc:  # noqa: BLE001 - recorded on the run; the thread goes on
            status, error = FAILED, _describe(exc)
            logger.warning("sync run %s failed: %s", run_id, error)
        finally:
            with self._lock:
                live = dict(self._live.get(run_id) or {})
            counts = {**live, **counts, "waiting": None}
            # Recorded before the connector counts as idle: whoever sees it idle sees the outcome.
            with self._sessions.begin() as session:
                stored = session.get(RunRow, run_id)
                if stored is not None:
                    stored.status, stored.error, stored.counts = status, error, counts
                    stored.finished_at = self._clock.time()
                    stored.started_at = stored.started_at or stored.finished_at
                    stored.mode = counts.get("mode") or stored.mode
                    stored.resumed = bool(counts.get("resumed"))
            with self._lock:
                self._live.pop(run_id, None)
                if row is not None and self._active.get(row.connector_id) == run_id:
                    self._active.pop(row.connector_id, None)

    def _sync(self, row: RunRow, token: CancelToken) -> tuple[str, str | None, dict[str, Any]]:
        connector_row = self._connectors.get(row.connector_id)
        started = self._clock.monotonic()
        with self._sessions.begin() as session:
            session.get(RunRow, row.id).status = RUNNING
            session.get(RunRow, row.id).started_at = self._clock.time()
        config = load_source_config(self._connectors.secret_config(connector_row))
        kb = self._datasets.open(row.dataset_id)
        add_source(kb, row.connector_id, config)
        walk: dict[str, Any] = {}
        last_persist = [started]
        engines: list[SourceSync] = []

        def watch_walk(connector: Any) -> Any:
            def on_walk(report: Any) -> None:
                # After each page and during waits: totals and rate-limit waits show up at once.
                walk["expected_items"] = report.expected_items
                walk["waiting"] = report.waiting
                if engines:
                    snapshot = _progress(engines[0].result, walk, self._clock.monotonic() - started)
                    with self._lock:
                        self._live[row.id] = snapshot
            previous = connector.on_progress
            connector.on_progress = on_walk if previous is None else lambda r: (previous(r), on_walk(r))
            return connector

        def stop_reason() -> str | None:
            if token.cancelled:
                return token.reason or "cancelled"
            if connector_row.timeout_secs and self._clock.monotonic() - started > connector_row.timeout_secs:
                return f"timed out after {connector_row.timeout_secs} s (timeout_secs)"
            return None

        def factory(cfg: Any, **kwargs: Any) -> Any:
            from restsync.sync import default_connector_factory
            return StopAtPageBoundary(watch_walk(default_connector_factory(cfg, **kwargs)), stop_reason)

        def on_progress(result: Any) -> None:
            elapsed = self._clock.monotonic() - started
            snapshot = _progress(result, walk, elapsed)
            with self._lock:
                self._live[row.id] = snapshot
            if self._clock.monotonic() - last_persist[0] >= PERSIST_EVERY_S:
                last_persist[0] = self._clock.monotonic()
                self._persist(row.id, snapshot)

        options = SyncOptions(full=row.full, allow_private=self._allow_private(connector_row))
        engine = SourceSync(kb, row.connector_id, config, options, clock=self._clock,
                            connector_factory=factory, on_progress=on_progress)
        engines.append(engine)
        try:
            result = engine.run()
        except SyncCancelled as stop:
            counts = _progress(engine.result, walk, self._clock.monotonic() - started)
            return (INTERRUPTED if stop.reason == SHUTDOWN else CANCELLED), _stop_message(stop.reason), counts
        except SyncInProgressError as exc:
            return FAILED, _describe(exc), {}
        except RestSyncError as exc:
            counts = _progress(engine.result, walk, self._clock.monotonic() - started)
            return FAILED, _describe(exc), counts
        counts = _progress(result, walk, self._clock.monotonic() - started)
        return result.status, result.error, counts

    def _persist(self, run_id: int, counts: dict[str, Any]) -> None:
        with self._sessions.begin() as session:
            stored = session.get(RunRow, run_id)
            if stored is not None:
                stored.counts = counts

    @staticmethod
    def _stopped_status(token: CancelToken) -> str:
        return INTERRUPTED if token.reason == SHUTDOWN else CANCELLED


def _progress(result: Any, walk: dict[str, Any], elapsed: float) -> dict[str, Any]:
    snapshot = result.to_dict()
    snapshot.pop("run_id", None)
    snapshot.pop("source", None)
    expected = walk.get("expected_items")
    fetched = result.counts.fetched
    snapshot["expected_items"] = expected
    snapshot["waiting"] = walk.get("waiting")
    snapshot["percent"] = None
    snapshot["eta_s"] = None
    if expected:
        snapshot["percent"] = round(min(100.0, 100.0 * fetched / expected), 1)
        if 0 < fetched < expected:
            snapshot["eta_s"] = round(elapsed / fetched * (expected - fetched), 1)
    return snapshot


def _stop_message(reason: str | None) -> str:
    if reason == SHUTDOWN:
        return "interrupted: the server stopped; the next start resumes from the last saved page"
    return reason or "cancelled"


def _describe(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
