"""Cancel across the cluster: the server process asks, a `restsync worker` process stops.

One worker running one job at a time; two sources. The first source's sync is held on its second
page, so the second source's job waits in the queue. Cancelling the queued one closes its run
before any worker starts it (its API never sees a request); cancelling the running one is
recorded in PostgreSQL, and the worker ends the run `cancelled` at its next page boundary with
its checkpoint kept, so the next sync resumes where it stopped."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("procrastinate", reason="the job queue needs the scale extra (procrastinate)")

from restsync.service import ServiceSettings  # noqa: E402
from restsync.sync.state import CHECKPOINT_KEY  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from api import HelpApi, ragflow_config  # noqa: E402
from servers.workers import start_worker, stop_workers, wait_until  # noqa: E402

ITEMS = 50  # five pages of ten
WAIT_LIMIT_S = 60  # real time: bounds a broken test; a passing one takes seconds


def _until(condition, what: str) -> None:
    wait_until(condition, what, WAIT_LIMIT_S)


def test_cancel_reaches_a_queued_and_a_running_job_on_another_process(postgres_url, tmp_path, serve):
    from restsync.scale.worker import queue_service

    data_dir = tmp_path / "data"
    settings = ServiceSettings(data_dir=data_dir, database_url=postgres_url, allow_private=True, scheduler=False,
                               env={"RESTSYNC_SECRET_KEY": ""})
    service, _ = queue_service(settings)  # this process plays the server: it defers and cancels
    running_api, queued_api = serve(HelpApi(count=ITEMS)), serve(HelpApi(count=ITEMS))
    running_api.hold_page = 2
    pairs = []
    for number, api in enumerate((running_api, queued_api)):
        dataset = service.create_dataset(name=f"kb-{number}", embedding_model="hashing", chunk_token_num=64)
        connector = service.create_connector({"name": f"source-{number}", "config": {**ragflow_config(api.base_url), "concurrency": 1}})
        pairs.append((dataset["id"], connector["id"]))
    (running_kb_id, running), (_, queued) = pairs
    worker = start_worker(data_dir, postgres_url, "w1", tmp_path / "w1.log", "--concurrency", "1")
    try:
        service.link_connector(running, running_kb_id)  # defers its first sync
        assert running_api.held.wait(WAIT_LIMIT_S), "the worker never reached the held page"
        service.link_connector(queued, pairs[1][0])  # queued behind it: the worker runs one job at a time

        queued_run = service.syncs.cancel(queued)
        assert queued_run["status"] == "cancelled" and queued_run["error"] == "cancelled by request"
        assert service.syncs.active_run_id(queued) is None

        running_run = service.syncs.cancel(running)
        assert running_run["status"] == "running"  # the worker stops it, not this process
        running_api.hold_page = None
        running_api.release.set()
        _until(lambda: service.syncs.active_run_id(running) is None, "the running sync to stop")
        stopped = service.syncs.run(running_run["id"])
        assert (stopped["status"], stopped["error"]) == ("cancelled", "cancelled by request")
        assert 10 <= stopped["documents_new"] < ITEMS  # stopped at a page boundary, not at the end
        kb = service.datasets.open(running_kb_id)
        assert kb.get_state(running, CHECKPOINT_KEY) is not None  # kept for the next run
        _, stored = kb.list_documents(limit=1000)
        assert stored == stopped["documents_new"]

        resumed = service.syncs.start(running)
        _until(lambda: service.syncs.active_run_id(running) is None, "the next sync to finish")
        finished = service.syncs.run(resumed["id"])
        assert (finished["status"], finished["resumed"]) == ("success", True)
        assert kb.list_documents(limit=1000)[1] == ITEMS
        assert queued_api.requests == []  # the cancelled queued job never ran
        assert service.syncs.cancel_quietly(queued, "nothing to cancel") is None
    finally:
        stop_workers(worker)
        service.close()


STALL_S = 2.0  # how long the server and the workers wait for a heartbeat before taking a worker for dead


def test_the_run_of_a_worker_killed_mid_sync_is_closed_by_a_cancel(postgres_url, tmp_path, serve):
    """No worker will end the run of one killed with SIGKILL: once its heartbeat is stale a cancel
    closes the run at once, and the worker that later rescues the dead one's job syncs nothing."""
    from sqlalchemy import create_engine, text

    from restsync.scale.worker import queue_service

    data_dir = tmp_path / "data"
    settings = ServiceSettings(data_dir=data_dir, database_url=postgres_url, allow_private=True, scheduler=False,
                               env={"RESTSYNC_SECRET_KEY": ""})
    service, _ = queue_service(settings, stall_after_s=STALL_S)
    api = serve(HelpApi(count=ITEMS))
    api.hold_page = 2
    dataset = service.create_dataset(name="kb", embedding_model="hashing", chunk_token_num=64)
    connector = service.create_connector({"name": "source", "config": {**ragflow_config(api.base_url), "concurrency": 1}})
    options = ("--concurrency", "1", "--stall-after", str(STALL_S))
    doomed = start_worker(data_dir, postgres_url, "doomed", tmp_path / "doomed.log", *options)
    heir = None
    engine = create_engine(postgres_url)
    try:
        service.link_connector(connector["id"], dataset["id"])
        assert api.held.wait(WAIT_LIMIT_S), "the worker never reached the held page"
        run_id = service.syncs.active_run_id(connector["id"])
        doomed.kill()  # SIGKILL: its job stays `doing`, its heartbeat stops
        doomed.wait(timeout=20)
        api.hold_page = None
        api.release.set()

        _until(lambda: service.syncs.cancel(connector["id"], "stop it")["status"] == "cancelled",
               "a cancel to close the dead worker's run")
        closed = service.syncs.run(run_id)
        assert closed["error"] == "stop it" and closed["finished_at"] is not None
        assert service.syncs.active_run_id(connector["id"]) is None
        requests_before = len(api.requests)

        heir = start_worker(data_dir, postgres_url, "heir", tmp_path / "heir.log", *options)

        def job_status() -> str:
            with engine.connect() as connection:
                return connection.execute(text("SELECT status FROM procrastinate_jobs WHERE args ->> 'run_id' = :run"),
                                          {"run": str(run_id)}).scalar_one()

        # The heir's rescue pass ends the job: flagged by the cancel, it is not queued again (and a
        # job retried before the flag would find its run finished and sync nothing).
        _until(lambda: job_status() not in ("todo", "doing"), "the heir to rescue the dead worker's job")
        assert service.syncs.run(run_id)["status"] == "cancelled"  # not run again
        assert len(api.requests) == requests_before  # the API was not asked for anything more
    finally:
        stop_workers(doomed, heir)
        engine.dispose()
        service.close()
