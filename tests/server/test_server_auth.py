"""Every API endpoint: 401 without credentials, 403 with a revoked token; sessions and CSRF; the
token CLI working offline on the same data directory."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from restsync.cli.main import main

from .conftest import stored_state

PUBLIC = {("POST", "/api/v1/auth/login")}
# Dify's external-knowledge API keeps Dify's contract (403 with error codes, header or not);
# tests/integrations/test_dify.py and test_server_integrations.py check it.
OWN_CONTRACT = ("/api/v1/dify/",)


def api_endpoints(app) -> list[tuple[str, str]]:
    """Every documented /api/v1 operation (the OpenAPI schema lists them all)."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if path.startswith("/api/v1") and (method.upper(), path) not in PUBLIC and not path.startswith(OWN_CONTRACT):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "x1", path)))
    return found


def test_every_endpoint_needs_a_token_and_refuses_a_revoked_one(app_client):
    client, admin = app_client
    service = client.app.state.service
    endpoints = api_endpoints(client.app)
    assert len(endpoints) >= 30  # the whole API, not a sample
    revoked_info, revoked = service.tokens.create("old")
    service.tokens.revoke(revoked_info.id)
    for method, path in endpoints:
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.json()["code"] == 401 and "bearer" in anonymous.json()["message"]
        refused = client.request(method, path, json={}, headers={"Authorization": f"Bearer {revoked}"})
        assert refused.status_code == 403, (method, path, refused.text)
        assert "revoked" in refused.json()["message"]
    assert client.get("/healthz").json()["status"] == "ok"  # the one open endpoint


def test_malformed_authorization_is_401_and_unknown_token_403(app_client):
    client, _ = app_client
    assert client.get("/api/v1/datasets", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/datasets", headers={"Authorization": "Bearer rs-nope"}).status_code == 403


def test_login_sets_strict_httponly_session_and_csrf_is_required_for_changes(app_client):
    client, token = app_client
    assert client.post("/api/v1/auth/login", json={"token": "rs-wrong"}).status_code == 403
    response = client.post("/api/v1/auth/login", json={"token": token})
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("restsync_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("restsync_csrf="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
    assert "HttpOnly" not in csrf_cookie and "SameSite=strict" in csrf_cookie
    csrf = client.cookies.get("restsync_csrf")

    assert client.get("/api/v1/datasets").status_code == 200  # reads need no CSRF header
    me = client.get("/api/v1/auth/me").json()["data"]
    assert me["via"] == "session" and me["csrf_token"] == csrf
    without = client.post("/api/v1/datasets", json={"name": "kb", "embedding_model": "hashing"})
    assert without.status_code == 403 and "X-CSRF-Token" in without.json()["message"]
    wrong = client.post("/api/v1/datasets", json={"name": "kb", "embedding_model": "hashing"},
                        headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    right = client.post("/api/v1/datasets", json={"name": "kb", "embedding_model": "hashing"},
                        headers={"X-CSRF-Token": csrf})
    assert right.status_code == 200, right.text

    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.clear()
    assert client.get("/api/v1/datasets").status_code == 401


def test_revoking_a_token_ends_its_sessions(app_client):
    client, admin = app_client
    service = client.app.state.service
    info, token = service.tokens.create("browser")
    browser = TestClient(client.app)
    assert browser.post("/api/v1/auth/login", json={"token": token}).status_code == 200
    assert browser.get("/api/v1/datasets").status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{info.id}", headers={"Authorization": f"Bearer {admin}"})
    assert revoked.json()["data"]["revoked_at"] is not None
    assert browser.get("/api/v1/datasets").status_code == 403


def test_tokens_api_shows_a_new_token_once_and_stores_only_its_hash(client, settings):
    created = client.post("/api/v1/tokens", json={"name": "ci"}).json()["data"]
    token = created["token"]
    assert token.startswith("rs-") and created["prefix"] == token[:7]
    listed = client.get("/api/v1/tokens").json()["data"]
    assert all("token" not in entry or entry["token"] is None for entry in listed)
    assert {entry["name"] for entry in listed} == {"admin", "ci"}
    state = stored_state(settings)
    assert created["id"].encode() in state and token.encode() not in state  # its row, not the token
    assert client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.delete("/api/v1/tokens/nope").status_code == 404


def test_token_cli_works_offline_on_the_data_directory(service, settings, data_dir, monkeypatch, capsys):
    if settings.database_url:  # the state is in PostgreSQL: the CLI finds it as the server does
        monkeypatch.setenv("RESTSYNC_DATABASE_URL", settings.database_url)
    assert main(["token", "create", "laptop", "--data-dir", str(data_dir)]) == 0
    token = capsys.readouterr().out.strip()
    assert service.tokens.verify(token) is not None
    assert main(["token", "list", "--data-dir", str(data_dir), "--json"]) == 0
    listed = capsys.readouterr().out
    assert "laptop" in listed and token not in listed
    token_id = service.tokens.verify(token).id
    assert main(["token", "revoke", token_id, "--data-dir", str(data_dir)]) == 0
    assert service.tokens.verify(token) is None
    monkeypatch.delenv("RESTSYNC_DATABASE_URL", raising=False)
    assert main(["token", "list", "--data-dir", str(data_dir / "missing")]) == 2
    unreachable = "postgresql+psycopg://restsync:hunter2@127.0.0.1:1/restsync"
    assert main(["token", "list", "--database-url", unreachable]) == 2
    assert "hunter2" not in capsys.readouterr().err


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_api_schema_and_docs_are_served(client, path):
    assert client.get(path).status_code == 200
