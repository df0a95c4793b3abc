"""`restsync import-ragflow`: connectors as RAGFlow stores them (config with credentials nested,
an exported list, RAGFlow's API envelope) become server connectors, secrets sealed, first sync run."""

from __future__ import annotations

import json

from restsync.cli.main import main
from restsync.service import Service, ServiceSettings
from server.api import API_KEY, HelpApi

SETTINGS = {"allow_private": True, "scheduler": False, "resume": False, "env": {"RESTSYNC_SECRET_KEY": ""}}


def ragflow_record(base_url: str, name: str = "help centre") -> dict:
    """A connector row as RAGFlow keeps it: UI text boxes, the key under config.credentials."""
    return {
        "id": "3f1c0a6e9b2d11efb1c70242ac120006", "name": name, "source": "rest_api", "input_type": "poll",
        "refresh_freq": 30, "prune_freq": 720, "timeout_secs": 3600, "status": "1",
        "config": {
            "url": f"{base_url}/api/articles", "method": "GET", "headers": '{"Accept": "application/json"}',
            "query_params": "updated_since={poll_start}", "auth_type": "api_key_header",
            "auth_config": {"header_name": "X-API-Key"}, "credentials": {"api_key": API_KEY},
            "items_path": "$.data", "id_field": "id", "content_fields": "title,body", "metadata_fields": "category",
            "poll_timestamp_field": "updated_at", "pagination_type": "page",
            "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 10},
        },
    }


def open_service(data_dir) -> Service:
    return Service(ServiceSettings(data_dir=data_dir, **SETTINGS))


def test_imports_an_export_links_it_and_syncs(tmp_path, serve, capsys, monkeypatch):
    monkeypatch.setenv("RESTSYNC_SECRET_KEY", "")
    api = serve(HelpApi(count=40))
    data_dir = tmp_path / "data"
    service = open_service(data_dir)
    dataset = service.create_dataset(name="help", embedding_model="hashing")
    service.close()
    export = tmp_path / "connectors.json"
    export.write_text(json.dumps({"code": 0, "message": "", "data": [
        ragflow_record(api.base_url),
        {"name": "wiki", "source": "notion", "config": {"credentials": {"notion_integration_token": "x"}}},
    ]}))

    status = main(["import-ragflow", str(export), "--data-dir", str(data_dir), "--dataset", "help", "--sync",
                   "--allow-private"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "imported 'help centre' as connector" in out and "first sync: success, 40 new documents" in out
    assert "skipped 'wiki': source 'notion' is not a REST API connector" in err

    service = open_service(data_dir)
    try:
        [connector] = service.connectors_of_dataset(dataset["id"], 0, 10)["connectors"]
        assert connector["name"] == "help centre" and connector["refresh_freq"] == 30
        assert connector["config"]["credentials"] == {"api_key": "***"}  # sealed, never shown
        assert all(request.headers.get("x-api-key") == API_KEY for request in api.requests)
        hits = service.backend.search("refund policy", kb_ids=[dataset["id"]], filters=[], k=3)
        assert hits and hits[0]["link"] is None and hits[0]["source"] == connector["id"]
    finally:
        service.close()

    assert main(["import-ragflow", str(export), "--data-dir", str(data_dir), "--json"]) == 0  # again: no duplicate
    again = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in again] == ["skipped", "skipped"]


def test_a_bare_config_unlinked_and_errors_name_the_key(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RESTSYNC_SECRET_KEY", "")
    data_dir = tmp_path / "data"
    bare = tmp_path / "config.json"
    bare.write_text(json.dumps(ragflow_record("https://help.example.com")["config"]))
    assert main(["import-ragflow", str(bare), "--data-dir", str(data_dir)]) == 0
    assert "(not linked to a dataset)" in capsys.readouterr().out

    broken = ragflow_record("https://help.example.com", name="broken")
    broken["config"]["pagination_type"] = "sideways"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([broken]))
    assert main(["import-ragflow", str(bad), "--data-dir", str(data_dir)]) != 0
    assert "pagination_type" in capsys.readouterr().err
    assert main(["import-ragflow", str(bare), "--data-dir", str(data_dir), "--dataset", "nope"]) == 2
    assert "--dataset" in capsys.readouterr().err
    (tmp_path / "not.json").write_text("{")
    assert main(["import-ragflow", str(tmp_path / "not.json"), "--data-dir", str(data_dir)]) == 2
