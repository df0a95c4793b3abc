"""The integrations inside a running restsync server (uvicorn on loopback), over its datasets and
tokens: MCP at /mcp, Dify at /api/v1/dify, LangChain and LlamaIndex retrievers against the server,
and RAGFlow's own retrieval request against /api/v1/retrieval."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from restsync.cli.demo_server import demo_config
from restsync.demo.loopback import serve_asgi
from restsync.demo.server import DemoApiServer
from restsync.integrations import RemoteBackend, UnknownKnowledgeBaseError
from restsync.integrations.langchain import RestsyncRetriever as LangChainRetriever
from restsync.integrations.llamaindex import RestsyncRetriever as LlamaIndexRetriever
from restsync.server import create_app
from restsync.service import Service, ServiceSettings

from .mcp_clients import http_client

SYNC_LIMIT_S = 120  # bounds a broken test; the sync itself takes a few seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server whose dataset 'help' holds the demo help centre (150 articles), and a token."""
    data_dir: Path = tmp_path_factory.mktemp("server") / "data"
    settings = ServiceSettings(data_dir=data_dir, allow_private=True, scheduler=False,
                               env={"RESTSYNC_SECRET_KEY": ""})
    with DemoApiServer() as demo_api:
        service = Service.open(settings)
        dataset = service.create_dataset(name="help", embedding_model="hashing")
        connector = service.create_connector({"name": "demo", "source": "rest_api",
                                              "config": demo_config(demo_api.url), "dataset_id": dataset["id"]})
        assert service.syncs.wait_idle(connector["id"], timeout=SYNC_LIMIT_S)
        assert service.syncs.last_run(connector["id"])["status"] == "success"
        _, token = service.tokens.create("integrations")
        with serve_asgi(lambda port: create_app(service=service, host="127.0.0.1", port=port)) as url:
            yield {"url": url, "token": token, "dataset_id": dataset["id"], "service": service}
        service.close()


def auth(server: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {server['token']}"}


def test_mcp_endpoint_needs_a_token_and_serves_the_datasets(server):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    accept = {"Accept": "application/json, text/event-stream"}
    assert httpx.post(f"{server['url']}/mcp", json=initialize, headers=accept).status_code == 401
    wrong = httpx.post(f"{server['url']}/mcp", json=initialize, headers={**accept, "Authorization": "Bearer rs-x"})
    assert wrong.status_code == 403

    async def session() -> dict[str, Any]:
        async with http_client(f"{server['url']}/mcp", server["token"]) as client:
            kbs = await client.call_tool("list_knowledge_bases", {})
            found = await client.call_tool("search", {"query": "reset audit logs", "top_k": 3,
                                                      "knowledge_base_ids": [server["dataset_id"]]})
            document = await client.call_tool("get_document", {"document_id": found.structured_content["hits"][0]
                                                               ["document_id"]})
            failing = await client.call_tool("search", {"query": "x", "knowledge_base_ids": ["nope"]})
        return locals()

    seen = asyncio.run(session())
    [kb] = seen["kbs"].structured_content["knowledge_bases"]
    assert kb["id"] == server["dataset_id"] and kb["documents"] == 150 and kb["sources"] == ["demo"]
    hits = seen["found"].structured_content["hits"]
    assert len(hits) == 3 and hits[0]["knowledge_base_id"] == server["dataset_id"]
    assert hits[0]["text"] in seen["document"].structured_content["text"]
    assert seen["failing"].is_error and "nope" in seen["failing"].content[0].text


def test_dify_endpoint_over_the_server_tokens(server):
    url = f"{server['url']}/api/v1/dify/retrieval"
    assert httpx.post(url, headers=auth(server)).status_code == 400  # Dify's registration probe
    assert httpx.post(url, headers={"Authorization": "Bearer rs-wrong"}).json()["error_code"] == 1002
    body = {"knowledge_id": server["dataset_id"], "query": "reset audit logs",
            "retrieval_setting": {"top_k": 3, "score_threshold": 0.1},
            "metadata_condition": {"logical_operator": "and", "conditions": [
                {"name": "category", "comparison_operator": "not empty", "value": None},  # checked on hits
                {"name": "votes", "comparison_operator": "≥", "value": 0}]}}  # pushed into the search
    records = httpx.post(url, json=body, headers=auth(server)).json()["records"]
    assert len(records) == 3 and all(r["score"] >= 0.1 for r in records)
    assert records[0]["metadata"]["link"].startswith("http://127.0.0.1") and records[0]["metadata"]["category"]
    none = {**body, "metadata_condition": {"conditions": [{"name": "votes", "comparison_operator": "<",
                                                            "value": -1}]}}
    assert httpx.post(url, json=none, headers=auth(server)).json() == {"records": []}
    unknown = httpx.post(url, json={**body, "knowledge_id": "nope"}, headers=auth(server))
    assert unknown.status_code == 404 and unknown.json()["error_code"] == 2001


def test_langchain_and_llamaindex_retrievers_against_the_server(server):
    retriever = LangChainRetriever(server_url=server["url"], token=server["token"], k=3,
                                   knowledge_base_ids=[server["dataset_id"]])
    assert server["token"] not in repr(retriever) and server["token"] not in str(retriever.model_dump())
    docs = retriever.invoke("reset audit logs")
    assert len(docs) == 3
    top = docs[0]
    assert top.id == top.metadata["chunk_id"] and top.metadata["knowledge_base_id"] == server["dataset_id"]
    assert top.metadata["link"].startswith("http://127.0.0.1") and 0 < top.metadata["score"] <= 1
    assert top.metadata["title"] and top.metadata["category"] and top.metadata["source"]

    category = top.metadata["category"]
    filtered = LangChainRetriever(server_url=server["url"], token=server["token"], k=5,
                                  filters=[f"category={category}", "votes>=0"]).invoke("reset audit logs")
    assert filtered and {doc.metadata["category"] for doc in filtered} == {category}

    nodes = LlamaIndexRetriever(server_url=server["url"], token=server["token"],
                                similarity_top_k=2).retrieve("reset audit logs")
    assert len(nodes) == 2 and nodes[0].node.metadata["link"].startswith("http://127.0.0.1")


def test_remote_backend_documents_and_errors(server):
    backend = RemoteBackend(server["url"], server["token"])
    [kb] = backend.list_knowledge_bases()
    assert kb["id"] == server["dataset_id"] and kb["documents"] == 150 and kb["sources"] == ["demo"]
    hit = backend.search("reset audit logs", kb_ids=None, filters=[], k=1)[0]
    document = backend.get_document(hit["document_id"])
    assert document["title"] == hit["title"] and hit["text"] in document["text"]
    assert backend.get_document("no-such-document") is None
    with pytest.raises(UnknownKnowledgeBaseError):
        backend.search("x", kb_ids=["nope"], filters=[], k=1)
    backend.close()


def test_ragflow_reference_retrieval_request(server):
    """The request RAGFlow's HTTP API reference shows (curl example), with this server's ids:
    question, dataset_ids, document_ids and a metadata_condition using '=' and 'not contains'."""
    service = server["service"]
    docs = service.documents(server["dataset_id"], offset=0, limit=200, keywords=None, document_id=None,
                             connector_id=None)["docs"]
    author = docs[0]["meta_fields"]["author.name"]
    same_author = [doc["id"] for doc in docs if doc["meta_fields"]["author.name"] == author]
    other_category = next(doc["meta_fields"]["category"] for doc in docs
                          if doc["meta_fields"]["category"] != docs[0]["meta_fields"]["category"])
    body = {
        "question": "How do I reset audit logs?",
        "dataset_ids": [server["dataset_id"]],
        "document_ids": same_author,
        "metadata_condition": {"logic": "and", "conditions": [
            {"name": "author.name", "comparison_operator": "=", "value": author},
            {"name": "category", "comparison_operator": "not contains", "value": other_category},
        ]},
    }
    response = httpx.post(f"{server['url']}/api/v1/retrieval", json=body,
                          headers={**auth(server), "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    envelope = response.json()
    assert envelope["code"] == 0
    data = envelope["data"]
    assert data["chunks"] and data["total"] >= len(data["chunks"]) and data["doc_aggs"]
    for chunk in data["chunks"]:
        assert {"id", "content", "document_id", "document_keyword", "highlight", "similarity",
                "term_similarity", "vector_similarity"} <= set(chunk)
        assert chunk["document_id"] in same_author and chunk["metadata"]["author.name"] == author
        assert other_category not in chunk["metadata"]["category"] and 0 <= chunk["similarity"] <= 1
    either = {**body, "document_ids": [], "metadata_condition": {"logic": "or", "conditions": [
        {"name": "author.name", "comparison_operator": "=", "value": author},
        {"name": "category", "comparison_operator": "=", "value": other_category}]}}
    chunks = httpx.post(f"{server['url']}/api/v1/retrieval", json=either, headers=auth(server)).json()["data"]["chunks"]
    assert chunks and all(c["metadata"]["author.name"] == author or c["metadata"]["category"] == other_category
                          for c in chunks)
