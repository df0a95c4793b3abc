"""Connectors over the API: RAGFlow's own config JSON works unchanged; test and preview (saved and
unsaved) give the CLI's verdicts with reasons; secrets are masked and a "***" keeps the stored one."""

from __future__ import annotations

import copy

from .api import API_KEY, ragflow_config
from .conftest import wait_for_idle


def make_dataset(client, name="help") -> str:
    response = client.post("/api/v1/datasets", json={"name": name, "embedding_model": "hashing",
                                                      "parser_config": {"chunk_token_num": 64}})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def test_ragflow_config_json_creates_a_connector_that_syncs_unchanged(client, help_api):
    dataset_id = make_dataset(client)
    body = {"name": "help", "source": "rest_api", "config": ragflow_config(help_api.base_url),
            "refresh_freq": 30, "prune_freq": 720, "timeout_secs": 600, "dataset_id": dataset_id}
    created = client.post("/api/v1/connectors", json=body)
    assert created.status_code == 200, created.text
    connector = created.json()["data"]
    assert connector["dataset_id"] == dataset_id and connector["refresh_freq"] == 30
    run = wait_for_idle(client.app.state.service, connector["id"])
    assert run["status"] == "success" and run["trigger"] == "link" and run["mode"] == "full"
    assert run["documents_new"] == 60 and run["percent"] is None  # RAGFlow configs name no total
    docs = client.get(f"/api/v1/datasets/{dataset_id}/documents", params={"page_size": 100}).json()["data"]
    assert docs["total"] == 60
    assert {doc["meta_fields"]["category"] for doc in docs["docs"]} == {"Billing", "Security", "Accounts"}
    dataset = client.get(f"/api/v1/datasets/{dataset_id}").json()["data"]
    assert dataset["document_count"] == 60 and dataset["connectors"] == [{"id": connector["id"], "name": "help"}]
    # the API got the key in its header on every request
    assert all(r.headers.get("x-api-key") == API_KEY for r in help_api.requests)


def test_linking_through_dataset_update_starts_the_first_sync(client, help_api):
    dataset_id = make_dataset(client)
    connector = client.post("/api/v1/connectors", json={"name": "help", "config": ragflow_config(help_api.base_url)})
    connector_id = connector.json()["data"]["id"]
    assert connector.json()["data"]["last_sync"] is None
    linked = client.put(f"/api/v1/datasets/{dataset_id}", json={"connectors": [{"id": connector_id}]})
    assert linked.status_code == 200, linked.text
    run = wait_for_idle(client.app.state.service, connector_id)
    assert run["status"] == "success" and run["documents_fetched"] == 60


def test_saved_connector_never_shows_its_secret_and_a_mask_keeps_it(client, help_api):
    config = ragflow_config(help_api.base_url)
    created = client.post("/api/v1/connectors", json={"name": "help", "config": config}).json()["data"]
    assert created["config"]["auth_config"]["api_key_value"] == "***"
    assert API_KEY not in client.get(f"/api/v1/connectors/{created['id']}").text
    # the form comes back with the mask and another change: the stored key stays
    edited = copy.deepcopy(created["config"])
    edited["items_path"] = "$.data"
    edited["max_pages"] = 50
    updated = client.put(f"/api/v1/connectors/{created['id']}", json={"config": edited})
    assert updated.status_code == 200, updated.text
    assert client.post(f"/api/v1/connectors/{created['id']}/test").json()["data"]["ok"] is True
    # a new value replaces it
    edited["auth_config"]["api_key_value"] = "wrong-key-123"
    client.put(f"/api/v1/connectors/{created['id']}", json={"config": edited})
    report = client.post(f"/api/v1/connectors/{created['id']}/test").json()["data"]
    assert report["ok"] is False and report["error_kind"] == "auth" and "401" in report["auth"]


def test_unsaved_test_fails_on_a_wrong_key_with_the_reason_and_passes_on_the_right_one(client, help_api):
    wrong = client.post("/api/v1/connectors/rest_api/test",
                        json={"source": "rest_api", "config": ragflow_config(help_api.base_url, "nope-nope")})
    report = wrong.json()["data"]
    assert wrong.status_code == 200 and report["ok"] is False
    assert report["failed_step"] == "request" and "rejected" in report["auth"] and report["hints"]
    right = client.post("/api/v1/connectors/rest_api/test",
                        json={"config": ragflow_config(help_api.base_url)}).json()["data"]
    assert right["ok"] is True and right["items_found"] == 10 and right["pagination"] == "page"
    assert {field["role"] for field in right["fields"]} >= {"id", "content", "metadata", "timestamp"}


def test_unsaved_test_takes_masked_secrets_from_the_named_connector(client, help_api):
    created = client.post("/api/v1/connectors", json={"name": "help", "config": ragflow_config(help_api.base_url)})
    saved = created.json()["data"]
    report = client.post("/api/v1/connectors/rest_api/test",
                         json={"config": saved["config"], "connector_id": saved["id"]}).json()["data"]
    assert report["ok"] is True
    orphan = client.post("/api/v1/connectors/rest_api/test", json={"config": saved["config"]})
    assert orphan.status_code == 400 and "config.auth_config.api_key_value" in orphan.json()["message"]


def test_preview_shows_documents_and_each_page_exchange_with_secrets_masked(client, help_api):
    created = client.post("/api/v1/connectors", json={"name": "help", "config": ragflow_config(help_api.base_url)})
    connector_id = created.json()["data"]["id"]
    response = client.post(f"/api/v1/connectors/{connector_id}/preview", json={"limit": 3, "pages": 2})
    assert response.status_code == 200, response.text
    preview = response.json()["data"]
    assert len(preview["documents"]) == 3
    first = preview["documents"][0]
    assert first["semantic_identifier"].startswith("Article 1") and first["metadata"] == {"category": "Security"}
    assert [exchange["request"]["url"].split("page=")[1][:1] for exchange in preview["pages"]] == ["1", "2"]
    page = preview["pages"][0]
    assert page["request"]["headers"]["x-api-key"] == "***"
    assert page["response"]["status"] == 200 and len(page["response"]["body"]["data"]) == 10
    assert API_KEY not in response.text
    unsaved = client.post("/api/v1/connectors/rest_api/preview",
                          json={"config": ragflow_config(help_api.base_url), "limit": 1})
    assert unsaved.json()["data"]["documents"][0]["id"] == first["id"] and API_KEY not in unsaved.text


def test_import_turns_a_ragflow_record_into_a_create_body(client, help_api):
    record = {"name": "Help centre", "source": "rest_api", "config": ragflow_config(help_api.base_url),
              "refresh_freq": 15, "prune_freq": 60, "timeout_secs": 300, "input_type": "poll"}
    imported = client.post("/api/v1/connectors/rest_api/import", json=record).json()["data"]
    assert imported["connector"]["name"] == "Help centre" and imported["connector"]["refresh_freq"] == 15
    assert imported["connector"]["config"]["auth_config"]["api_key_value"] == "***"
    bad = client.post("/api/v1/connectors/rest_api/import", json={"url": help_api.base_url, "pagination_type": "x"})
    assert bad.status_code == 422 and bad.json()["message"].startswith("config.pagination_type")


def test_connector_lifecycle_status_logs_and_delete(client, help_api):
    dataset_id = make_dataset(client)
    connector = client.post("/api/v1/connectors", json={"name": "help", "config": ragflow_config(help_api.base_url),
                                                        "dataset_id": dataset_id}).json()["data"]
    service = client.app.state.service
    wait_for_idle(service, connector["id"])
    paused = client.patch(f"/api/v1/connectors/{connector['id']}", json={"status": "CANCEL"}).json()["data"]
    assert paused["status"] == "CANCEL"
    assert client.patch(f"/api/v1/connectors/{connector['id']}", json={"status": "STOP"}).status_code == 422
    client.post(f"/api/v1/connectors/{connector['id']}/sync", json={"full": True})
    wait_for_idle(service, connector["id"])
    logs = client.get(f"/api/v1/connectors/{connector['id']}/logs", params={"page_size": 1}).json()["data"]
    assert logs["total"] == 2 and logs["logs"][0]["mode"] == "full" and logs["logs"][0]["trigger"] == "manual"
    listed = client.get("/api/v1/connectors", params={"dataset_id": dataset_id}).json()["data"]
    assert listed["total"] == 1
    assert client.delete(f"/api/v1/connectors/{connector['id']}").json()["data"] is True
    assert client.get(f"/api/v1/connectors/{connector['id']}").status_code == 404
    assert client.get(f"/api/v1/datasets/{dataset_id}").json()["data"]["document_count"] == 0


def test_documents_and_chunks_of_a_dataset(client, help_api):
    dataset_id = make_dataset(client)
    connector = client.post("/api/v1/connectors", json={"name": "help", "config": ragflow_config(help_api.base_url),
                                                        "dataset_id": dataset_id}).json()["data"]
    wait_for_idle(client.app.state.service, connector["id"])
    found = client.get(f"/api/v1/datasets/{dataset_id}/documents", params={"keywords": "Article 7:"}).json()["data"]
    assert found["total"] == 1
    doc = found["docs"][0]
    one = client.get(f"/api/v1/datasets/{dataset_id}/documents/{doc['id']}").json()["data"]
    assert "Body of article 7" in one["content"]
    chunks = client.get(f"/api/v1/datasets/{dataset_id}/documents/{doc['id']}/chunks").json()["data"]
    assert chunks["total"] == doc["chunk_count"] >= 1 and chunks["chunks"][0]["position"] == 0
    assert chunks["doc"]["id"] == doc["id"]
    assert client.get(f"/api/v1/datasets/{dataset_id}/documents/nope").status_code == 404
