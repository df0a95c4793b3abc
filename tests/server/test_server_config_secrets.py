"""Masking a connector config and keeping masked secrets: what every response and the plain
database column rely on."""

from __future__ import annotations

from restsync.service.config_secrets import keep_stored_secrets, mask_config, unresolved_masks

from .api import API_KEY, HelpApi, ragflow_config


def test_every_kind_of_secret_is_masked_and_ordinary_values_are_not():
    raw = {
        "url": "https://api.example.com/v1/items?api_key=k3y-in-url-123&lang=en",
        "headers": "Authorization=Bearer tok-abcdef-123\nAccept=application/json",
        "query_params": {"token": "qp-secret-999", "page_size": "50"},
        "auth_type": "basic",
        "auth_config": {"username": "me", "password": "pw-123456", "header_name": "X-Key"},
        "credentials": {"api_key": "cred-key-777", "password": ""},
        "request_body": {"query": "items", "key_copy": "cred-key-777"},
        "detail_url": "https://api.example.com/v1/items/{id}?sig=tok-abcdef-123",
        "content_fields": ["author", "keywords"],
    }
    masked = mask_config(raw)
    text = str(masked)
    for secret in ("k3y-in-url-123", "tok-abcdef-123", "qp-secret-999", "pw-123456", "cred-key-777"):
        assert secret not in text
    assert masked["headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert masked["query_params"] == {"token": "***", "page_size": "50"}
    assert masked["auth_config"] == {"username": "me", "password": "***", "header_name": "X-Key"}
    assert masked["credentials"] == {"api_key": "***", "password": ""}  # an empty password stays visibly empty
    assert "lang=en" in masked["url"] and masked["request_body"]["query"] == "items"
    assert masked["content_fields"] == ["author", "keywords"]


def test_a_masked_config_sent_back_keeps_every_stored_secret_and_takes_changes():
    stored = ragflow_config("https://api.example.com")
    stored["credentials"] = {"token": "tok-live-42"}
    form = mask_config(stored)
    form["max_pages"] = 7
    merged = keep_stored_secrets(form, stored)
    assert merged["auth_config"]["api_key_value"] == API_KEY and merged["credentials"]["token"] == "tok-live-42"
    assert merged["max_pages"] == 7 and unresolved_masks(merged) == []
    form["credentials"]["token"] = "tok-new-43"
    assert keep_stored_secrets(form, stored)["credentials"]["token"] == "tok-new-43"
    assert unresolved_masks(keep_stored_secrets(form, None)) == ["config.auth_config.api_key_value"]


def test_suggest_proposes_a_config_without_the_secret_it_was_given(client, serve):
    api = serve(HelpApi(count=5))
    response = client.post("/api/v1/suggest", json={"url": f"{api.base_url}/api/articles",
                                                     "headers": {"X-API-Key": API_KEY}})
    assert response.status_code == 200, response.text
    suggestion = response.json()["data"]
    assert suggestion["config"]["items_path"] == "$.data" and suggestion["config"]["id_field"] == "id"
    assert API_KEY not in response.text and "${" in response.text
    refused = client.post("/api/v1/suggest", json={"url": "ftp://example.com/x"})
    assert refused.status_code in (400, 422) and "Traceback" not in refused.text


def test_settings_and_dataset_deletion(client):
    assert client.get("/api/v1/settings").json()["data"]["allow_private"] is True
    ids = [client.post("/api/v1/datasets", json={"name": f"kb{n}", "embedding_model": "hashing"}).json()["data"]["id"]
           for n in range(2)]
    listed = client.get("/api/v1/datasets", params={"orderby": "name", "desc": "false"}).json()["data"]
    assert [d["name"] for d in listed] == ["kb0", "kb1"]
    assert client.request("DELETE", "/api/v1/datasets", json={"ids": [ids[0], "nope"]}).status_code == 404
    assert client.request("DELETE", "/api/v1/datasets", json={"ids": ids}).json()["data"] == {"deleted": 2}
    assert client.get("/api/v1/datasets").json()["data"] == []
