"""Sync runs as procrastinate jobs on the PostgreSQL that already holds the service's state.

Why procrastinate: the state needs PostgreSQL anyway, so the queue adds no service to run
(Celery or Dramatiq would add Redis or RabbitMQ); jobs are rows, so a run and its job change in
the same database; workers heartbeat, so a job whose worker died is found (`get_stalled_jobs`)
and retried; periodic tasks are deferred once per tick across the cluster, which is how the
scheduler runs once however many workers there are; and a job `lock` keeps one job per source
running at a time.

The server defers `run_sync(run_id)`; the work itself is rebuilt by the worker from the run
record (a closure cannot cross machines). Cancelling a run uses procrastinate's own job states: a
job not started yet becomes `cancelled` (no worker takes it), a running one gets its abort flag,
which its worker reads at the sync's next page boundary.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from restsync.errors import ConfigError
from restsync.scale.config import DEFAULT_STALL_AFTER_S
from restsync.service.jobs import Work

logger = logging.getLogger("restsync.scale")

SYNC_TASK = "restsync.run_sync"
QUEUE = "restsync-syncs"
# A run's jobs not finished yet: one normally; the arguments are the run id (`defer(run_id=...)`).
_OPEN_JOBS = """SELECT id FROM procrastinate_jobs
                 WHERE task_name = %(task)s AND args ->> 'run_id' = %(run)s AND status IN ('todo', 'doing')"""
# ...of which those a worker will still act on: waiting, or held by a worker that heartbeats.
_LIVE_JOBS = """SELECT job.id FROM procrastinate_jobs job
                  LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id
                 WHERE job.task_name = %(task)s AND job.args ->> 'run_id' = %(run)s
                   AND (job.status = 'todo'
                        OR (job.status = 'doing'
                            AND worker.last_heartbeat >= NOW() - make_interval(secs => %(stall_after_s)s)))"""


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (`postgresql+psycopg://...`)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(f"the job queue needs a PostgreSQL state database, not {url.get_backend_name()}", key="database_url")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(database_url: str) -> Any:
    try:
        import procrastinate
    except ImportError as error:
        raise ConfigError("the job queue needs the scale extra: pip install 'restsync[scale]'", key="queue") from error
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))


def ensure_schema(app: Any, database_url: str) -> None:
    """Install procrastinate's tables once (its own schema; ours is Alembic's)."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('restsync-queue-schema'))")
            if "procrastinate_jobs" in inspect(connection).get_table_names():
                return
            # Straight to the driver: with no parameters psycopg leaves the schema's % signs alone.
            connection.connection.driver_connection.execute(app.schema_manager.get_schema())
    finally:
        engine.dispose()


class QueueJobRunner:
    """`JobRunner` that defers each run as a job any `restsync worker` may take.

    `lock_of(job_id)` names the source of the run: procrastinate runs one job per lock at a
    time, and the worker also holds a PostgreSQL advisory lock on it while syncing."""

    shared = True  # runs live in the shared database, not in this process

    def __init__(self, app: Any, lock_of: Callable[[str], str], *, stall_after_s: float = DEFAULT_STALL_AFTER_S):
        self._app = app
        self._lock_of = lock_of
        self._stall_after_s = stall_after_s

    def submit(self, job_id: str, work: Work) -> None:
        lock = self._lock_of(job_id)
        self._app.configure_task(SYNC_TASK, queue=QUEUE, lock=lock).defer(run_id=int(job_id))

    def cancel(self, job_id: str, reason: str) -> bool:
        """A queued job is cancelled at once; a running one is flagged for its worker (the reason
        travels on the run record, written by the caller). False when the run has no live job."""
        cancelled = False
        for job in self._jobs(_OPEN_JOBS, job_id):
            cancelled = self._app.job_manager.cancel_job_by_id(job, abort=True) or cancelled
        return cancelled

    def is_active(self, job_id: str) -> bool:
        """Whether a job of this run waits, or runs on a worker that is alive. A job left `doing` by
        a worker that died (no heartbeat for `stall_after_s`) is not: nobody will end its run, so a
        cancel closes the run at once. The cancel also flagged the job, so the worker that rescues
        it ends it instead of queueing it again (one retried before the flag finds its run finished
        and syncs nothing)."""
        return bool(self._jobs(_LIVE_JOBS, job_id))

    def _jobs(self, query: str, job_id: str) -> list[int]:
        rows = self._app.connector.get_sync_connector().execute_query_all(
            query, task=SYNC_TASK, run=str(int(job_id)), stall_after_s=self._stall_after_s)
        return [int(row["id"]) for row in rows]

    def shutdown(self, *, timeout: float) -> list[str]:
        return []  # the jobs belong to the workers, not to this process
