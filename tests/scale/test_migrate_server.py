"""`restsync migrate-server`: a server that ran on one machine (SQLite state, a knowledge-base
directory per dataset) moved into PostgreSQL and Milvus Lite; the moved server then serves the
same datasets, connectors (secrets still sealed with the data directory's key), tokens and runs,
answers the same searches, and its next sync carries on incrementally."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("psycopg", reason="the PostgreSQL state needs the scale extra (psycopg)")

from restsync.cli.main import main  # noqa: E402
from restsync.service import Service, ServiceSettings  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
from api import API_KEY, HelpApi, ragflow_config  # noqa: E402

WAIT_S = 60  # real time: bounds a broken sync; a passing one takes a second


def _service(data_dir: Path, **urls: str) -> Service:
    return Service(ServiceSettings(data_dir=data_dir, allow_private=True, scheduler=False, resume=False,
                                   env={"RESTSYNC_SECRET_KEY": ""}, **urls))


def _synced_once(service: Service, connector_id: str) -> dict:
    service.syncs.start(connector_id)
    assert service.syncs.wait_idle(connector_id, WAIT_S)
    return service.syncs.last_run(connector_id)


def test_a_whole_server_moves_and_carries_on(tmp_path, serve, postgres_url, milvus_url, capsys):
    data_dir = tmp_path / "data"
    api = serve(HelpApi(count=30))
    service = _service(data_dir)
    try:
        synced = service.create_dataset(name="help", embedding_model="hashing", chunk_token_num=64)
        empty = service.create_dataset(name="never-synced", embedding_model="hashing")
        connector = service.create_connector({"name": "help-center", "config": ragflow_config(api.base_url)})
        service.link_connector(connector["id"], synced["id"])
        assert service.syncs.wait_idle(connector["id"], WAIT_S)
        first = service.syncs.last_run(connector["id"])
        assert (first["status"], first["documents_new"]) == ("success", 30)
        _, token = service.tokens.create("ops")
        before = service.backend.search("article 7", kb_ids=[synced["id"]], k=3)
        runs_before = service.syncs.logs(connector["id"], 0, 10)[0]
    finally:
        service.close()

    status = main(["migrate-server", "--data-dir", str(data_dir), "--database-url", postgres_url,
                   "--index-url", milvus_url, "--sample", "5"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert status == 0, report
    assert f"dataset {synced['id']}: 30 documents copied" in captured.err  # progress while copying
    assert report["rows"]["datasets"] == 2 and report["rows"]["connectors"] == 1 and report["rows"]["runs"] == 1
    assert report["rows"]["tokens"] == 1
    copy = report["knowledge_bases"][synced["id"]]
    assert copy["ok"] and copy["documents_copied"] == 30 and copy["copied_to"] == f"datasets/{synced['id']}"

    moved = _service(data_dir, database_url=postgres_url, index_url=milvus_url)
    try:
        assert {row.id for row in moved.datasets.list()[0]} == {synced["id"], empty["id"]}
        row = moved.connectors.get(connector["id"])
        assert row.dataset_id == synced["id"]
        assert moved.connectors.secret_config(row)["auth_config"]["api_key_value"] == API_KEY  # unsealed
        assert moved.verify_token(token)
        assert moved.syncs.logs(connector["id"], 0, 10)[0] == runs_before
        after = moved.backend.search("article 7", kb_ids=[synced["id"]], k=3)
        # The same best answer (lower ranks may order ties differently: another engine searches).
        assert after[0]["document_id"] == before[0]["document_id"] and (after[0]["text"], after[0]["metadata"]) == (before[0]["text"], before[0]["metadata"])

        requests_before = len(api.requests)
        second = _synced_once(moved, connector["id"])
        assert second["id"] > first["id"]  # run ids continue after the copied ones
        assert (second["status"], second["documents_new"], second["documents_updated"]) == ("success", 0, 0)
        assert len(api.requests) > requests_before  # it did ask the API, through the moved connector
    finally:
        moved.close()


def test_a_running_server_or_a_filled_target_is_refused(tmp_path, serve, postgres_url, capsys):
    data_dir = tmp_path / "data"
    api = serve(HelpApi(count=30))
    api.hold_page = 2
    service = _service(data_dir)
    try:
        dataset = service.create_dataset(name="help", embedding_model="hashing")
        connector = service.create_connector({"name": "help-center", "config": ragflow_config(api.base_url)})
        service.link_connector(connector["id"], dataset["id"])
        assert api.held.wait(WAIT_S)
        status = main(["migrate-server", "--data-dir", str(data_dir), "--database-url", postgres_url])
        assert status == 2
        assert "still queued or running" in capsys.readouterr().err
        api.hold_page = None
        api.release.set()
        assert service.syncs.wait_idle(connector["id"], WAIT_S)
    finally:
        service.close()

    # Without an index URL the knowledge bases stay directories: only the state moves.
    assert main(["migrate-server", "--data-dir", str(data_dir), "--database-url", postgres_url]) == 0
    assert json.loads(capsys.readouterr().out)["knowledge_bases"] == {}
    assert main(["migrate-server", "--data-dir", str(data_dir), "--database-url", postgres_url]) == 2
    assert "already holds datasets, connectors, runs" in capsys.readouterr().err


def test_a_knowledge_base_an_earlier_attempt_copied_is_checked_and_kept(tmp_path, serve, postgres_url, milvus_url,
                                                                        capsys):
    data_dir = tmp_path / "data"
    api = serve(HelpApi(count=20))
    service = _service(data_dir)
    try:
        dataset = service.create_dataset(name="help", embedding_model="hashing")
        connector = service.create_connector({"name": "help-center", "config": ragflow_config(api.base_url)})
        service.link_connector(connector["id"], dataset["id"])
        assert service.syncs.wait_idle(connector["id"], WAIT_S)
    finally:
        service.close()
    kb_dir = data_dir / "datasets" / dataset["id"]
    assert main(["migrate", "--kb", str(kb_dir), "--to", milvus_url, "--database-url", postgres_url]) == 0
    capsys.readouterr()

    assert main(["migrate-server", "--data-dir", str(data_dir), "--database-url", postgres_url,
                 "--index-url", milvus_url]) == 0
    copy = json.loads(capsys.readouterr().out)["knowledge_bases"][dataset["id"]]
    assert copy["already_copied"] and copy["ok"] and copy["documents_copied"] == copy["documents"] == 20


def test_an_unreachable_state_database_is_named(tmp_path, capsys):
    import socket

    _service(tmp_path / "data").close()
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    status = main(["migrate-server", "--data-dir", str(tmp_path / "data"),
                   "--database-url", f"postgresql+psycopg://restsync:hunter2@127.0.0.1:{port}/state"])
    err = capsys.readouterr().err
    assert status == 2 and "database_url: the PostgreSQL state database cannot be reached" in err
    assert "hunter2" not in err
