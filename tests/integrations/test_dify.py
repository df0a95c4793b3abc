"""Dify's External Knowledge API, called exactly as Dify's own code calls it, on a real server.

Dify registers an endpoint with `POST {endpoint}/retrieval` carrying only the Authorization
header (no body), and retrieves with `data=json.dumps(params)` and a JSON Content-Type, leaving
`metadata_condition` out when there is none (older versions sent null)."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from restsync.demo.loopback import serve_asgi
from restsync.integrations import LocalBackend
from restsync.integrations.dify import dify_router

KEY = "rs-dify-key"
EVERYTHING = "settings security refunds audit logs paragraph"  # a query every document matches
ALL_IDS = {"refunds", "2fa", "export", "long"}


@pytest.fixture
def endpoint(small_kb):
    backend = LocalBackend(small_kb)

    def app_for(_port: int) -> FastAPI:
        app = FastAPI()
        app.include_router(dify_router(backend, lambda key: key == KEY), prefix="/api/v1/dify")
        return app

    with serve_asgi(app_for) as base_url:
        yield {"url": f"{base_url}/api/v1/dify", "kb_id": backend.id}
    backend.close()


def dify_retrieve(endpoint, query, *, top_k=10, threshold=0.0, metadata_condition=None, key=KEY, knowledge_id=None):
    """Dify's ExternalDatasetService.fetch_external_knowledge_retrieval, request for request."""
    params = {"retrieval_setting": {"top_k": top_k, "score_threshold": threshold}, "query": query,
              "knowledge_id": knowledge_id or endpoint["kb_id"]}
    if metadata_condition:
        params["metadata_condition"] = metadata_condition
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    return httpx.post(f"{endpoint['url']}/retrieval", content=json.dumps(params), headers=headers)


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {record["metadata"]["document_id"] for record in response.json()["records"]}


def test_registration_probe_right_key_is_400_wrong_key_403(endpoint):
    url = f"{endpoint['url']}/retrieval"
    probe = httpx.post(url, headers={"Authorization": f"Bearer {KEY}"})  # Dify's check_endpoint_and_api_key
    assert probe.status_code == 400 and "knowledge_id" in probe.json()["error_msg"]
    wrong = httpx.post(url, headers={"Authorization": "Bearer rs-not-it"})
    assert wrong.status_code == 403 and wrong.json() == {"error_code": 1002, "error_msg": "Authorization failed"}
    for headers in ({}, {"Authorization": KEY}, {"Authorization": f"Basic {KEY}"}, {"Authorization": "Bearer"}):
        bad = httpx.post(url, headers=headers)
        assert bad.status_code == 403 and bad.json()["error_code"] == 1001, headers


def test_retrieval_answers_records_with_citations(endpoint):
    response = dify_retrieve(endpoint, "reset two-factor authentication", top_k=2)
    assert response.status_code == 200
    records = response.json()["records"]
    assert 1 <= len(records) <= 2
    top = records[0]
    assert set(top) == {"content", "score", "title", "metadata"}
    assert top["title"] == "Reset two-factor authentication" and top["content"].startswith("To reset")
    assert 0.0 < top["score"] <= 1.0 and [r["score"] for r in records] == sorted((r["score"] for r in records),
                                                                               reverse=True)
    meta = top["metadata"]
    assert meta["document_id"] == "2fa" and meta["link"] == "https://help.example.com/2fa"
    assert meta["knowledge_id"] == endpoint["kb_id"] and meta["chunk_id"].endswith(":help:2fa#0")
    assert meta["category"] == "Security" and meta["tags"] == ["login", "security"]


def test_metadata_condition_null_top_k_null_and_threshold(endpoint):
    url = f"{endpoint['url']}/retrieval"
    body = {"knowledge_id": endpoint["kb_id"], "query": EVERYTHING, "metadata_condition": None,
            "retrieval_setting": {"top_k": None, "score_threshold": None}}
    response = httpx.post(url, content=json.dumps(body), headers={"Content-Type": "application/json",
                                                                   "Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200 and len(response.json()["records"]) == 5  # top_k null: 5
    assert all(isinstance(r["metadata"], dict) for r in response.json()["records"])
    assert ids(dify_retrieve(endpoint, EVERYTHING, top_k=20)) == ALL_IDS
    every = dify_retrieve(endpoint, EVERYTHING).json()["records"]
    threshold = sorted((r["score"] for r in every), reverse=True)[1]
    kept = dify_retrieve(endpoint, EVERYTHING, threshold=threshold).json()["records"]
    assert kept == [r for r in every if r["score"] >= threshold] and 2 <= len(kept) < len(every)
    assert dify_retrieve(endpoint, "zebra xylophone", threshold=0.5).json() == {"records": []}
    assert len(dify_retrieve(endpoint, EVERYTHING, top_k=3).json()["records"]) == 3


def test_unknown_knowledge_base_is_2001(endpoint):
    response = dify_retrieve(endpoint, "anything", knowledge_id="no-such-kb")
    assert response.status_code == 404
    assert response.json() == {"error_code": 2001, "error_msg": "The knowledge does not exist"}


def cond(name, op, value=None):
    return {"name": name, "comparison_operator": op, "value": value}


# Small KB: refunds (Billing, Jane Doe, 12 votes, 2025-03-01), 2fa (Security, Ravi Patel, 40,
# 2024-11-20, tags login+security), export (Security, Jane Doe, 3, 2023-06-05), long (Misc only).
OPERATOR_CASES = [
    (cond("category", "is", "Security"), {"2fa", "export"}),
    (cond("category", "is not", "Security"), {"refunds", "long"}),
    (cond("category", "=", "Billing"), {"refunds"}),
    (cond("votes", "=", 12), {"refunds"}),
    (cond("votes", "≠", 12), {"2fa", "export", "long"}),
    (cond("votes", ">", 3), {"refunds", "2fa"}),
    (cond("votes", "<", 40), {"refunds", "export"}),
    (cond("votes", "≥", 12), {"refunds", "2fa"}),
    (cond("votes", "≤", 12), {"refunds", "export"}),
    (cond("updated", "before", "2024-12-01"), {"2fa", "export"}),
    (cond("updated", "after", 1704067200), {"refunds", "2fa"}),  # epoch seconds, as Dify's time fields
    (cond("author", "in", ["Jane Doe", "Nobody"]), {"refunds", "export"}),
    (cond("author", "not in", ["Jane Doe"]), {"2fa", "long"}),
    (cond("author", "contains", "Doe"), {"refunds", "export"}),
    (cond("author", "not contains", "Doe"), {"2fa", "long"}),
    (cond("author", "start with", "Ravi"), {"2fa"}),
    (cond("author", "end with", "Doe"), {"refunds", "export"}),
    (cond("tags", "contains", "login"), {"2fa"}),
    (cond("tags", "empty"), {"refunds", "export", "long"}),
    (cond("author", "not empty"), {"refunds", "2fa", "export"}),
    (cond(["author", "category"], "is", "Misc"), {"long"}),  # a list of names: any of them
]


@pytest.mark.parametrize(("condition", "expected"), OPERATOR_CASES,
                         ids=[f"{c['comparison_operator']}-{c['name']}" for c, _ in OPERATOR_CASES])
def test_every_dify_operator(endpoint, condition, expected):
    response = dify_retrieve(endpoint, EVERYTHING, metadata_condition={"logical_operator": "and",
                                                                       "conditions": [condition]})
    assert ids(response) == expected


def test_and_or_combinations(endpoint):
    both = [cond("category", "is", "Security"), cond("author", "contains", "Jane")]
    assert ids(dify_retrieve(endpoint, EVERYTHING, metadata_condition={"logical_operator": "and",
                                                                       "conditions": both})) == {"export"}
    assert ids(dify_retrieve(endpoint, EVERYTHING, metadata_condition={"logical_operator": "or",
                                                                       "conditions": both})) == {"2fa", "export",
                                                                                                 "refunds"}


@pytest.mark.parametrize(("condition", "field"), [
    (cond("category", "like", "x"), "conditions[0].comparison_operator"),
    (cond("", "is", "x"), "conditions[0].name"),
    (cond("votes", ">"), "conditions[0].value"),
    (cond("author", "in", []), "conditions[0].value"),
])
def test_unsupported_or_incomplete_conditions_are_clear_400s(endpoint, condition, field):
    response = dify_retrieve(endpoint, EVERYTHING, metadata_condition={"conditions": [condition]})
    assert response.status_code == 400 and field in response.json()["error_msg"], response.text


def test_bad_bodies_name_the_field(endpoint):
    url = f"{endpoint['url']}/retrieval"
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for body, field in (("not json", "request body"), ("[]", "request body"),
                        (json.dumps({"query": "x"}), "knowledge_id"),
                        (json.dumps({"knowledge_id": "k"}), "query"),
                        (json.dumps({"knowledge_id": "k", "query": "x", "retrieval_setting": {"top_k": 0}}), "top_k"),
                        (json.dumps({"knowledge_id": "k", "query": "x",
                                     "retrieval_setting": {"score_threshold": 2}}), "score_threshold")):
        response = httpx.post(url, content=body, headers=headers)
        assert response.status_code == 400 and field in response.json()["error_msg"], (body, response.text)


def test_demo_end_to_end(demo_kb):
    backend = LocalBackend(demo_kb)
    app = FastAPI()
    app.include_router(dify_router(backend, lambda key: key == KEY), prefix="/api/v1/dify")
    with serve_asgi(lambda _port: app) as base_url:
        endpoint = {"url": f"{base_url}/api/v1/dify", "kb_id": backend.id}
        records = dify_retrieve(endpoint, "reset audit logs", top_k=3, threshold=0.1).json()["records"]
    backend.close()
    assert len(records) == 3 and records[0]["metadata"]["link"].startswith("http://127.0.0.1")
