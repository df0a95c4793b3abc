"""`restsync worker`: takes sync jobs from the queue, on any number of machines.

Each worker
- runs `restsync.run_sync(run_id)` jobs: the run record names the connector; the sync holds a
  PostgreSQL advisory lock on it for its whole length (one running sync per source in the
  cluster, released by PostgreSQL when the worker's connection dies, however it dies);
- stops a run at its next page boundary, checkpoint kept, as `cancelled`, when a cancel was
  asked anywhere in the cluster (`QueueJobRunner.cancel` set the job's abort flag);
- heartbeats (procrastinate), and every `rescue_every_s` retries the jobs of workers whose
  heartbeat is older than `stall_after_s`: a worker killed mid-sync has its job taken over
  within about `stall_after_s + rescue_every_s`, and the new worker resumes from the source's
  saved checkpoint;
- defers the scheduler's pass as a periodic task: procrastinate defers each tick once for the
  whole cluster, so due syncs start once however many workers run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Iterator

from sqlalchemy import create_engine, text

from restsync.errors import RestSyncError
from restsync.scale.config import DEFAULT_STALL_AFTER_S
from restsync.scale.queue import QUEUE, SYNC_TASK, QueueJobRunner, build_app, ensure_schema
from restsync.service.jobs import CancelToken
from restsync.service.service import Service, ServiceSettings

logger = logging.getLogger("restsync.scale")

_STALLED = text(
    """SELECT job.id FROM procrastinate_jobs job
        LEFT JOIN procrastinate_workers w ON w.id = job.worker_id
       WHERE job.status = 'doing' AND job.task_name = :task
         AND (job.worker_id IS NULL OR w.last_heartbeat < NOW() - make_interval(secs => :seconds))"""
)


_ABORT_REQUESTED = text("SELECT abort_requested FROM procrastinate_jobs WHERE id = :job")
_RETRY = text("SELECT procrastinate_retry_job_v2(:job, NOW(), NULL, NULL, NULL)")


class SourceBusyError(RestSyncError):
    """Another worker holds the source's lock: the job is retried later."""


@dataclass(frozen=True)
class WorkerOptions:
    name: str = ""
    concurrency: int = 2
    heartbeat_s: float = 2.0
    stall_after_s: float = DEFAULT_STALL_AFTER_S
    rescue_every_s: float = 2.0
    schedule_every_s: int = 15


def queue_service(settings: ServiceSettings, *, scheduler: bool = False, open_app: bool = True,
                  stall_after_s: float = DEFAULT_STALL_AFTER_S) -> tuple[Service, Any]:
    """The service with its runs deferred to the queue (what `serve` and `worker` both build).
    `open_app`: open the queue for deferring now (a worker opens it itself when it starts).
    `stall_after_s`: how long without a heartbeat before a worker is taken for dead."""
    if not settings.database_url:
        raise RestSyncError("the job queue needs a PostgreSQL state database (database_url)")
    app = build_app(settings.database_url)
    ensure_schema(app, settings.database_url)
    if open_app:
        app.open()
    holder: dict[str, Service] = {}
    runner = QueueJobRunner(app, lock_of=lambda run_id: "sync:" + holder["service"].syncs.run(int(run_id))["connector_id"],
                            stall_after_s=stall_after_s)
    service = Service(replace(settings, scheduler=scheduler, resume=False), runner=runner)
    holder["service"] = service
    return service, app


@contextmanager
def source_lock(engine: Any, connector_id: str) -> Iterator[None]:
    """A session advisory lock on one connection for the whole sync."""
    with engine.connect() as connection:
        held = connection.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": "restsync-sync:" + connector_id}).scalar()
        connection.commit()
        if not held:
            raise SourceBusyError(f"connector {connector_id} is being synced by another worker")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": "restsync-sync:" + connector_id})
            connection.commit()


def run_worker(settings: ServiceSettings, options: WorkerOptions) -> None:
    import procrastinate

    name = options.name or f"{socket.gethostname()}-{os.getpid()}"
    service, app = queue_service(settings, open_app=False, stall_after_s=options.stall_after_s)
    locks = create_engine(settings.database_url, pool_size=options.concurrency + 1)

    @app.task(name=SYNC_TASK, queue=QUEUE, pass_context=True,
              retry=procrastinate.RetryStrategy(max_attempts=100, wait=2, retry_exceptions={SourceBusyError}))
    def run_sync(context: Any, run_id: int) -> None:
        connector_id = service.syncs.run(run_id)["connector_id"]
        token = CancelToken(poll=lambda: _requested_cancel(locks, context.job.id, service, run_id))
        try:
            with source_lock(locks, connector_id):
                logger.info("worker %s: sync run %s of connector %s", name, run_id, connector_id)
                service.syncs.execute(run_id, token, worker=name)
        except SourceBusyError:
            if not token.cancelled:
                raise  # retried in 2 s
            service.syncs.execute(run_id, token, worker=name)  # cancelled while waiting: record it, no sync

    @app.periodic(cron=f"* * * * * */{options.schedule_every_s}")
    @app.task(name="restsync.schedule", queue=QUEUE)
    def schedule(timestamp: int) -> None:
        service.scheduler.tick()

    stop = threading.Event()
    rescuer = threading.Thread(target=_rescue_loop, args=(app, locks, options, stop), name="restsync-rescue", daemon=True)
    rescuer.start()
    try:
        app.run_worker(queues=[QUEUE], name=name, concurrency=options.concurrency,
                       update_heartbeat_interval=options.heartbeat_s, stalled_worker_timeout=options.stall_after_s * 3)
    finally:
        stop.set()
        service.close()
        locks.dispose()


def _requested_cancel(engine: Any, job_id: int, service: Service, run_id: int) -> str | None:
    """The reason of a cancel asked anywhere in the cluster, or None. `QueueJobRunner.cancel` set
    the job's abort flag, read here from the database at each page boundary: a cancel committed
    before a boundary is always seen there, whatever happened to procrastinate's notification."""
    with engine.connect() as connection:
        asked = connection.execute(_ABORT_REQUESTED, {"job": job_id}).scalar()
    return service.syncs.requested_cancel(run_id) if asked else None


def _rescue_loop(app: Any, engine: Any, options: WorkerOptions, stop: threading.Event) -> None:
    while not stop.wait(options.rescue_every_s):
        try:
            with engine.connect() as connection:
                stalled = connection.execute(_STALLED, {"task": SYNC_TASK, "seconds": options.stall_after_s}).scalars().all()
            for job_id in stalled:
                try:
                    with engine.begin() as connection:
                        connection.execute(_RETRY, {"job": job_id})
                    logger.warning("job %s of a stalled worker retried", job_id)
                except Exception:  # noqa: BLE001 - another worker retried it first
                    continue
        except Exception as exc:  # noqa: BLE001 - the next pass tries again
            logger.warning("stalled-job rescue failed: %s", exc)
