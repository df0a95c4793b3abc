"""Bad requests: a status that says what kind of problem, a message naming the field, the RAGFlow
envelope, never a stack trace."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("method, path, body, status, named", [
    ("POST", "/api/v1/datasets", {"name": ""}, 422, "body.name"),
    ("POST", "/api/v1/datasets", {"name": "x", "parser_config": {"chunk_token_num": 2}}, 422,
     "body.parser_config.chunk_token_num"),
    ("POST", "/api/v1/datasets", {"name": "x", "embedding_model": "bogus"}, 422, "embedding_model"),
    ("POST", "/api/v1/connectors", {"name": "c"}, 422, "body.config"),
    ("POST", "/api/v1/connectors", {"name": "c", "config": {"url": "http://x.example/api", "content_fields": ["a"],
                                                               "pagination_type": "pages"}}, 422, "config.pagination_type"),
    ("POST", "/api/v1/connectors", {"name": "c", "config": {"url": "http://x.example/api", "content_fields": ["a"]},
                                    "refresh_freq": -5}, 422, "body.refresh_freq"),
    ("POST", "/api/v1/connectors", {"name": "c", "config": {"url": "http://x.example/api", "content_fields": ["a"]},
                                    "dataset_id": "nope"}, 404, "dataset"),
    ("POST", "/api/v1/connectors", {"name": "c", "source": "jira", "config": {}}, 422, "body.source"),
    ("POST", "/api/v1/retrieval", {"question": "q", "page_size": 0}, 422, "body.page_size"),
    ("POST", "/api/v1/retrieval", {}, 422, "body.question"),
    ("POST", "/api/v1/retrieval", {"question": "q", "metadata_condition": {"conditions": [
        {"name": "a", "comparison_operator": "like", "value": "x"}]}}, 400,
     "metadata_condition.conditions[0].comparison_operator"),
    ("POST", "/api/v1/retrieval", {"question": "q", "metadata_condition": {"logic": "xor", "conditions": []}}, 400,
     "metadata_condition.logic"),
    ("POST", "/api/v1/retrieval", {"question": "q", "dataset_ids": ["nope"]}, 404, "dataset"),
    ("PATCH", "/api/v1/connectors/nope", {"status": "SCHEDULE"}, 404, "connector"),
    ("POST", "/api/v1/connectors/nope/sync", {}, 404, "connector"),
    ("DELETE", "/api/v1/datasets", {"ids": ["nope"]}, 404, "dataset"),
    ("PUT", "/api/v1/settings", {"max_concurrent_syncs": 0}, 422, "body.max_concurrent_syncs"),
    ("POST", "/api/v1/tokens", {"name": ""}, 422, "body.name"),
    ("GET", "/api/v1/nowhere", None, 404, "Not Found"),
])
def test_bad_requests_name_the_field(client, method, path, body, status, named):
    response = client.request(method, path, json=body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["code"] == status and payload["data"] is None
    assert named in payload["message"]
    assert "Traceback" not in response.text and 'File "' not in response.text


def test_invalid_json_and_oversized_bodies(client):
    broken = client.post("/api/v1/datasets", content=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and "JSON" in broken.json()["message"]
    huge = client.post("/api/v1/datasets", content=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.json()["code"] == 413


def test_duplicate_dataset_name_is_a_conflict(client):
    assert client.post("/api/v1/datasets", json={"name": "kb", "embedding_model": "hashing"}).status_code == 200
    again = client.post("/api/v1/datasets", json={"name": "kb", "embedding_model": "hashing"})
    assert again.status_code == 409 and again.json()["message"].startswith("name:")


def test_syncing_an_unlinked_connector_says_which_field(client):
    created = client.post("/api/v1/connectors", json={"name": "c", "config": {
        "url": "https://api.example.com/items", "content_fields": ["title"]}}).json()["data"]
    response = client.post(f"/api/v1/connectors/{created['id']}/sync", json={})
    assert response.status_code == 400 and response.json()["message"].startswith("dataset_id:")


def test_private_targets_are_refused_unless_allowed(settings, serve):
    from fastapi.testclient import TestClient

    from restsync.server import create_app

    from .api import HelpApi, ragflow_config

    api = serve(HelpApi())
    strict = type(settings)(**{**settings.__dict__, "allow_private": False})
    app = create_app(strict)
    _, token = app.state.service.tokens.create("admin")
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        report = client.post("/api/v1/connectors/rest_api/test", json={"config": ragflow_config(api.base_url)}).json()
        assert report["data"]["ok"] is False and report["data"]["failed_step"] == "address"
        assert api.requests == []
        client.put("/api/v1/settings", json={"allow_private": True})
        allowed = client.post("/api/v1/connectors/rest_api/test", json={"config": ragflow_config(api.base_url)}).json()
        assert allowed["data"]["ok"] is True
