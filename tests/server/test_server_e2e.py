"""End to end over real HTTP: uvicorn on loopback, a source with auth and pagination, sync, live
progress, RAGFlow-style retrieval with a metadata filter; and `restsync serve --demo` starting
from nothing and ending searchable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from restsync.server import create_app

from .api import HelpApi, ragflow_config
from .conftest import WAIT_LIMIT_S


def poll_until_idle(http: httpx.Client, connector_id: str) -> dict:
    seen_running = []
    finished = threading.Event()
    while not finished.wait(0.05):
        progress = http.get(f"/api/v1/connectors/{connector_id}/progress").json()["data"]
        seen_running.append(progress["running"])
        if not progress["running"]:
            return progress["run"]
        if len(seen_running) > WAIT_LIMIT_S * 20:
            raise AssertionError("sync did not finish")
    raise AssertionError("unreachable")


def test_configure_sync_and_search_over_loopback_http(settings, serve, live):
    api = serve(HelpApi(count=45))
    app = create_app(settings)
    _, token = app.state.service.tokens.create("admin")
    with live(app) as url, httpx.Client(base_url=url, timeout=30,
                                        headers={"Authorization": f"Bearer {token}"}) as http:
        assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
        assert httpx.get(f"{url}/api/v1/datasets").status_code == 401
        dataset = http.post("/api/v1/datasets", json={"name": "help", "embedding_model": "hashing"}).json()["data"]
        config = ragflow_config(api.base_url)
        assert http.post("/api/v1/connectors/rest_api/test", json={"config": config}).json()["data"]["ok"]
        connector = http.post("/api/v1/connectors", json={"name": "help", "config": config,
                                                          "dataset_id": dataset["id"]}).json()["data"]
        run = poll_until_idle(http, connector["id"])
        assert run["status"] == "success" and run["documents_new"] == 45

        body = {"question": "refund policy", "dataset_ids": [dataset["id"]], "page": 1, "page_size": 5,
                "vector_similarity_weight": 0.3, "highlight": True,
                "metadata_condition": {"logic": "and", "conditions": [
                    {"name": "category", "comparison_operator": "is", "value": "Billing"}]}}
        found = http.post("/api/v1/retrieval", json=body).json()
        assert found["code"] == 0
        chunks = found["data"]["chunks"]
        assert 1 <= len(chunks) <= 5 and found["data"]["total"] >= len(chunks)
        for chunk in chunks:
            assert chunk["metadata"]["category"] == "Billing" and chunk["dataset_id"] == dataset["id"]
            assert "<em>refund</em>" in chunk["highlight"] and chunk["document_keyword"] == chunk["title"]
            assert chunk["similarity"] > 0 and chunk["connector_id"] == connector["id"]
        assert {agg["doc_id"] for agg in found["data"]["doc_aggs"]} >= {chunk["document_id"] for chunk in chunks}
        excluded = dict(body, metadata_condition={"conditions": [
            {"name": "category", "comparison_operator": "≠", "value": "Billing"}]})
        others = http.post("/api/v1/retrieval", json=excluded).json()["data"]["chunks"]
        assert others and all(chunk["metadata"]["category"] != "Billing" for chunk in others)
        page_two = http.post("/api/v1/retrieval", json=dict(body, page=2, page_size=2)).json()["data"]["chunks"]
        page_one = http.post("/api/v1/retrieval", json=dict(body, page=1, page_size=2)).json()["data"]["chunks"]
        assert not {c["id"] for c in page_one} & {c["id"] for c in page_two}


def test_service_backend_answers_the_integrations_protocol(service, serve):
    from restsync.integrations.backend import SearchBackend, UnknownKnowledgeBaseError

    api = serve(HelpApi(count=12))
    dataset = service.create_dataset(name="help", embedding_model="hashing")
    connector = service.create_connector({"name": "help", "config": ragflow_config(api.base_url),
                                          "dataset_id": dataset["id"]})
    service.syncs.wait_idle(connector["id"], WAIT_LIMIT_S)
    backend = service.backend
    assert isinstance(backend, SearchBackend)
    (kb,) = backend.list_knowledge_bases()
    assert kb["id"] == dataset["id"] and kb["documents"] == 12 and kb["sources"] == ["help"]
    hits = backend.search("refund policy", kb_ids=[dataset["id"]], filters=["category=Billing"], k=3)
    assert hits and all(hit["metadata"]["category"] == "Billing" and 0 <= hit["score"] <= 1 for hit in hits)
    document = backend.get_document(hits[0]["chunk_id"])
    assert document["id"] == hits[0]["document_id"] and "Body of article" in document["text"]
    assert backend.get_document("nope") is None
    try:
        backend.search("x", kb_ids=["nope"], filters=[], k=1)
    except UnknownKnowledgeBaseError as exc:
        assert exc.kb_id == "nope"
    else:
        raise AssertionError("an unknown knowledge base must be refused")
    assert service.verify_token("rs-nope") is False


def test_serve_demo_starts_from_nothing_and_ends_searchable_then_stops_on_sigterm(tmp_path: Path):
    data_dir = tmp_path / "data"
    env = {**os.environ, "RESTSYNC_SECRET_KEY": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "restsync", "serve", "--demo", "--demo-embedder", "hashing", "--port", "0",
         "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        url = token = None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("demo login token:"):
                token = line.split()[-1]
            if "Uvicorn running on" in line:
                url = line.split("Uvicorn running on ")[1].split()[0]
                break
        assert url and token, "".join(lines)
        assert "admin API token" in "".join(lines) and (data_dir / "secret.key").is_file()
        with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
            (dataset,) = http.get("/api/v1/datasets").json()["data"]
            connector_id = dataset["connectors"][0]["id"]
            run = poll_until_idle(http, connector_id)
            assert run["status"] == "success" and run["documents_fetched"] == 150
            found = http.post("/api/v1/retrieval", json={"question": "two-factor authentication",
                                                         "page_size": 3}).json()["data"]
            assert found["chunks"] and found["chunks"][0]["link"].startswith("http://127.0.0.1")
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts the app down (syncs stopped at a page boundary), then re-raises SIGTERM
        assert process.wait(timeout=WAIT_LIMIT_S) in (0, -signal.SIGTERM)
        rest = process.stdout.read()
        assert "Application shutdown complete" in rest and "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_warns_when_bound_beyond_this_machine(capsys):
    from restsync.cli.serve import _warn_if_exposed

    for host in ("127.0.0.1", "localhost", "::1"):
        _warn_if_exposed(host)
        assert capsys.readouterr().err == ""
    _warn_if_exposed("0.0.0.0")
    assert "TLS" in capsys.readouterr().err
