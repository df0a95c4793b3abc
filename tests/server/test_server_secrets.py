"""Source secrets are never in a response, a log line, a run record, a checkpoint or the bytes of
the state database: only sealed (Fernet) with a key kept 0600 in the data directory."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time

from restsync.service import Service

from .api import API_KEY, HelpApi, ragflow_config
from .conftest import WAIT_LIMIT_S, wait_for_idle

BEARER = "tok_9f8e7d6c5b4a39281706"
PASSWORD = "pw-correct-horse-battery"


def test_secrets_stay_out_of_responses_logs_runs_checkpoints_and_database_bytes(client, serve, data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    api = serve(HelpApi())
    api.hold_page = 3
    service = client.app.state.service
    dataset = client.post("/api/v1/datasets", json={"name": "kb", "embedding_model": "hashing"}).json()["data"]
    config = ragflow_config(api.base_url)
    config["credentials"] = {"api_key": API_KEY, "password": PASSWORD}
    config["headers"] = {"Accept": "application/json", "X-Backup-Token": BEARER}
    responses = []
    created = client.post("/api/v1/connectors", json={"name": "help", "config": config, "dataset_id": dataset["id"]})
    responses.append(created)
    connector_id = created.json()["data"]["id"]
    assert api.held.wait(WAIT_LIMIT_S)
    # mid-run: the checkpoint of the listing in progress is stored (the sync pipeline stores the
    # pages before the held one while that one is in flight, so it may land just after)
    kb = service.datasets.open(dataset["id"])
    checkpoint = _stored_state(kb, connector_id, "checkpoint")
    assert checkpoint is not None
    responses.append(client.get(f"/api/v1/connectors/{connector_id}/progress"))
    api.release.set()
    wait_for_idle(service, connector_id)
    for path in ("/api/v1/connectors", f"/api/v1/connectors/{connector_id}", f"/api/v1/connectors/{connector_id}/logs",
                 f"/api/v1/datasets/{dataset['id']}/documents"):
        responses.append(client.get(path))
    responses.append(client.post(f"/api/v1/connectors/{connector_id}/test"))
    responses.append(client.post(f"/api/v1/connectors/{connector_id}/preview", json={"pages": 2}))
    responses.append(client.post("/api/v1/connectors/rest_api/preview", json={"config": config}))
    responses.append(client.post("/api/v1/connectors/rest_api/import", json={"config": config}))
    wrong = dict(config, credentials={"api_key": "bad-" + API_KEY})
    responses.append(client.post("/api/v1/connectors/rest_api/test", json={"config": wrong}))
    assert responses[-1].json()["data"]["ok"] is False

    secrets = [API_KEY, BEARER, PASSWORD]
    for response in responses:
        assert response.status_code == 200, response.text
        for secret in secrets:
            assert secret not in response.text, (response.request.url, secret)
    assert all(secret not in record.getMessage() for record in caplog.records for secret in secrets)
    runs = [run.__repr__() for run in kb.list_runs(limit=50)] + [str(service.syncs.logs(connector_id, 0, 50))]
    states = [str(kb.get_state(connector_id, key)) for key in ("checkpoint", "watermark")] + [str(checkpoint)]
    for text in runs + states:
        assert all(secret not in text for secret in secrets)
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in content, (path.name, secret)
    # and the sealed copy is what syncs use: the API got the key
    assert api.requests[0].headers["x-api-key"] == API_KEY and api.requests[0].headers["x-backup-token"] == BEARER


def test_key_file_is_private_and_a_changed_key_is_reported_by_name(settings, data_dir, serve):
    api = serve(HelpApi())
    service = Service.open(settings)
    service.create_connector({"name": "help", "config": ragflow_config(api.base_url)})
    service.close()
    key_file = data_dir / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key_file.write_bytes(b"bm90LWEtZmVybmV0LWtleS1idXQtMzItYnl0ZXMtISE=\n")
    other = Service.open(settings)
    try:
        connector = other.connectors.all()[0]
        report = None
        try:
            other.test_saved(connector.id)
        except Exception as exc:  # noqa: BLE001 - the error is the subject here
            report = str(exc)
        assert report and "RESTSYNC_SECRET_KEY" in report
    finally:
        other.close()


def _stored_state(kb, source: str, key: str):
    """The state value once stored, or None after WAIT_LIMIT_S (polled: the store has no event)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    pause = threading.Event()
    while (value := kb.get_state(source, key)) is None and time.monotonic() < deadline:
        pause.wait(0.01)
    return value
