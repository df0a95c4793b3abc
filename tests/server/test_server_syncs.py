"""Sync runs: one per connector (a second `sync now` is a 409), cancel, the scheduler on a fake
clock, live progress, and a restart during a sync that resumes and ends where an uninterrupted
run ends."""

from __future__ import annotations

import threading
import time

import pytest

from restsync.clock import FakeClock
from restsync.service import Service

from .api import HelpApi, ragflow_config
from .conftest import WAIT_LIMIT_S, wait_for_idle


def setup_connector(service: Service, api: HelpApi, name: str = "help", **extra) -> tuple[str, str]:
    dataset = service.create_dataset(name=f"kb-{name}", embedding_model="hashing", chunk_token_num=64)
    config = ragflow_config(api.base_url)
    config["pagination_config"]["total_path"] = "$.meta.total"  # a restsync extension: progress percentages
    connector = service.create_connector({"name": name, "config": config, **extra})
    return dataset["id"], connector["id"]


def documents_of(service: Service, dataset_id: str) -> dict[str, tuple]:
    kb = service.datasets.open(dataset_id)
    docs, _ = kb.list_documents(limit=10_000)
    return {doc.doc_id: (doc.title, doc.updated_at, doc.chunks, tuple(sorted(doc.metadata.items()))) for doc in docs}


def _progress_once(client, connector_id: str, reached) -> dict:
    """The connector's progress once `reached(run)` holds, or the last one after WAIT_LIMIT_S (polled)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    pause = threading.Event()
    while True:
        progress = client.get(f"/api/v1/connectors/{connector_id}/progress").json()["data"]
        if (progress.get("run") and reached(progress["run"])) or time.monotonic() > deadline:
            return progress
        pause.wait(0.01)


def test_two_sync_now_calls_give_one_run_and_a_409(client, serve):
    api = serve(HelpApi())
    api.hold_page = 2
    service = client.app.state.service
    dataset_id, connector_id = setup_connector(service, api)
    client.put(f"/api/v1/connectors/{connector_id}", json={"dataset_id": dataset_id})  # links and starts
    assert api.held.wait(WAIT_LIMIT_S)
    second = client.post(f"/api/v1/connectors/{connector_id}/sync", json={})
    assert second.status_code == 409
    assert "already running" in second.json()["message"] and connector_id in second.json()["message"]
    # Page 1 is stored while page 2 is held (the sync pipeline may store it just after the request).
    progress = _progress_once(client, connector_id, lambda run: run["percent"] == pytest.approx(16.7))
    assert progress["running"] is True and progress["run"]["status"] == "running"
    assert progress["run"]["expected_items"] == 60 and progress["run"]["percent"] == pytest.approx(16.7)
    api.release.set()
    run = wait_for_idle(service, connector_id)
    assert run["status"] == "success" and run["percent"] == 100.0
    logs = client.get(f"/api/v1/connectors/{connector_id}/logs").json()["data"]
    assert logs["total"] == 1


def test_cancel_stops_at_a_page_boundary_and_the_next_run_resumes(client, serve):
    api = serve(HelpApi())
    api.hold_page = 3
    service = client.app.state.service
    dataset_id, connector_id = setup_connector(service, api)
    client.post(f"/api/v1/datasets/{dataset_id}", json={})  # wrong method: no effect
    client.put(f"/api/v1/datasets/{dataset_id}", json={"connectors": [{"id": connector_id}]})
    assert api.held.wait(WAIT_LIMIT_S)
    cancelled = client.post(f"/api/v1/connectors/{connector_id}/cancel")
    assert cancelled.status_code == 200
    api.release.set()
    run = wait_for_idle(service, connector_id)
    assert run["status"] == "cancelled" and run["error"] == "cancelled by request"
    # it stops at the first page boundary after the request: after page 2, or after the held page 3
    assert run["documents_fetched"] in (20, 30)
    assert client.post(f"/api/v1/connectors/{connector_id}/cancel").status_code == 409
    api.hold_page = None
    client.post(f"/api/v1/connectors/{connector_id}/sync", json={})
    again = wait_for_idle(service, connector_id)
    assert again["status"] == "success" and again["resumed"] is True
    assert len(documents_of(service, dataset_id)) == 60


def test_scheduler_runs_due_refreshes_and_prunes_on_an_injected_clock(settings, serve):
    api = serve(HelpApi())
    clock = FakeClock()
    service = Service.open(settings, clock=clock)
    try:
        dataset_id, connector_id = setup_connector(service, api, refresh_freq=30, prune_freq=120)
        assert service.scheduler.tick() == []  # not linked yet: nothing is due
        service.link_connector(connector_id, dataset_id)
        assert wait_for_idle(service, connector_id)["mode"] == "full"
        assert service.scheduler.tick() == []  # the first sync just ran
        clock.advance(29 * 60)
        assert service.scheduler.tick() == []
        clock.advance(60)
        started = service.scheduler.tick()
        assert [(run["trigger"], run["mode"]) for run in started] == [("schedule", "incremental")]
        assert wait_for_idle(service, connector_id)["status"] == "success"
        clock.advance(90 * 60)  # 120 minutes since the first (full) listing
        assert [run["mode"] for run in service.scheduler.tick()] == ["full"]
        wait_for_idle(service, connector_id)
        service.set_connector_status(connector_id, "CANCEL")
        clock.advance(10 * 3600)
        assert service.scheduler.tick() == []  # paused
        view = service.connector_view(service.connectors.get(connector_id))
        assert view["next_refresh_time"] is None and view["status"] == "CANCEL"
    finally:
        service.close()


def test_a_restart_during_a_sync_resumes_it_and_ends_with_the_same_documents(settings, new_backend, serve, tmp_path):
    api = serve(HelpApi())
    # reference: the same source synced without interruption, on a backend of its own
    reference_settings = type(settings)(**{**settings.__dict__, "data_dir": tmp_path / "reference", **new_backend()})
    reference = Service.open(reference_settings)
    try:
        ref_dataset, ref_connector = setup_connector(reference, api)
        reference.link_connector(ref_connector, ref_dataset)
        assert wait_for_idle(reference, ref_connector)["status"] == "success"
        expected = documents_of(reference, ref_dataset)
    finally:
        reference.close()
    assert len(expected) == 60

    api.hold_page = 4
    api.held.clear()
    first = Service.open(settings)
    dataset_id, connector_id = setup_connector(first, api)
    first.link_connector(connector_id, dataset_id)
    assert api.held.wait(WAIT_LIMIT_S)
    stopping = threading.Thread(target=first.close)  # what SIGTERM does under uvicorn
    stopping.start()
    api.release.set()
    stopping.join(WAIT_LIMIT_S)
    api.hold_page = None

    second = Service.open(settings)
    try:
        runs, _ = second.syncs.logs(connector_id, 0, 10)
        assert [run["status"] for run in runs][-1] == "interrupted"
        assert wait_for_idle(second, connector_id)["status"] == "success"
        runs, _ = second.syncs.logs(connector_id, 0, 10)
        assert [(run["trigger"], run["status"], run["resumed"]) for run in runs] == [
            ("resume", "success", True), ("link", "interrupted", False)]
        assert all(run["status"] != "running" for run in runs)
        assert documents_of(second, dataset_id) == expected
        pages_asked = [int(r.param("page")) for r in api.requests_to("/api/articles")]
        assert pages_asked.count(1) == 2  # the reference run and the interrupted run; the resume did not start over
    finally:
        second.close()


def test_a_crash_leaves_no_run_running_forever(settings, serve):
    api = serve(HelpApi())
    service = Service.open(settings)
    dataset_id, connector_id = setup_connector(service, api)
    service.link_connector(connector_id, dataset_id)
    wait_for_idle(service, connector_id)
    from restsync.service.db import RunRow

    with service._sessions.begin() as session:  # what a killed process leaves behind
        session.add(RunRow(connector_id=connector_id, dataset_id=dataset_id, mode="incremental", full=False,
                           trigger="schedule", status="running", create_time=1.0, started_at=1.0, counts={}))
    service.close()
    restarted = Service.open(settings)
    try:
        wait_for_idle(restarted, connector_id)
        statuses = [run["status"] for run in restarted.syncs.logs(connector_id, 0, 10)[0]]
        assert statuses == ["success", "interrupted", "success"]
    finally:
        restarted.close()


def test_a_run_past_timeout_secs_stops_at_the_next_page(settings, serve):
    api = serve(HelpApi())
    api.hold_page = 2
    clock = FakeClock()
    service = Service.open(settings, clock=clock)
    try:
        dataset_id, connector_id = setup_connector(service, api, timeout_secs=60)
        service.link_connector(connector_id, dataset_id)
        assert api.held.wait(WAIT_LIMIT_S)
        clock.advance(61)
        api.release.set()
        run = wait_for_idle(service, connector_id)
        assert run["status"] == "cancelled" and run["error"] == "timed out after 60 s (timeout_secs)"
        assert run["documents_fetched"] in (10, 20)
    finally:
        service.close()


def test_the_global_limit_queues_syncs_beyond_it(settings, serve):
    held, free = serve(HelpApi()), serve(HelpApi(count=10))
    held.hold_page = 1
    limited = type(settings)(**{**settings.__dict__, "max_concurrent_syncs": 1})
    service = Service.open(limited)
    try:
        first_dataset, first = setup_connector(service, held, name="first")
        second_dataset, second = setup_connector(service, free, name="second")
        service.link_connector(first, first_dataset)
        assert held.held.wait(WAIT_LIMIT_S)
        queued = service.link_connector(second, second_dataset)["last_sync"]
        assert queued["status"] == "queued"
        assert service.syncs.progress(second)["running"] is True  # queued counts as active: no second start
        assert free.requests == []
        held.release.set()
        assert wait_for_idle(service, first)["status"] == "success"
        assert wait_for_idle(service, second)["status"] == "success"
    finally:
        service.close()
