"""LangChain: the retriever over a local knowledge base, the loader over a paginated loopback API."""

from __future__ import annotations

import asyncio

import pytest

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from restsync.errors import ConfigError
from restsync.integrations.langchain import RestApiLoader, RestsyncRetriever
from servers import UpdatedSinceServer, sample_items

from .loopback import ITEMS, changes_config


def test_retriever_returns_chunks_with_citation_metadata(small_kb):
    retriever = RestsyncRetriever(kb_path=small_kb, k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("reset two-factor authentication")
    assert 1 <= len(docs) <= 2 and all(isinstance(doc, Document) for doc in docs)
    top = docs[0]
    assert top.page_content.startswith("To reset two-factor authentication")
    assert top.id == top.metadata["chunk_id"] and top.id.endswith(":help:2fa#0")
    meta = top.metadata
    assert meta["title"] == "Reset two-factor authentication" and meta["link"] == "https://help.example.com/2fa"
    assert meta["document_id"] == "2fa" and 0 < meta["score"] <= 1
    assert meta["category"] == "Security" and meta["tags"] == ["login", "security"]  # the item's own metadata


def test_retriever_filters_and_validates(small_kb):
    retriever = RestsyncRetriever(kb_path=small_kb, k=5, filters=["votes>=10"], vector_weight=0.0)
    docs = retriever.invoke("settings refunds")
    assert docs and all(doc.metadata["votes"] >= 10 for doc in docs)
    with pytest.raises(ConfigError):
        RestsyncRetriever(k=3)  # neither a directory nor a server
    with pytest.raises(ConfigError):
        RestsyncRetriever(server_url="http://localhost:8080")  # a server needs a token


def test_retriever_async_invoke(small_kb):
    docs = asyncio.run(RestsyncRetriever(kb_path=small_kb, k=1).ainvoke("export audit logs"))
    assert docs[0].metadata["document_id"] == "export"


def test_loader_streams_every_page(serve):
    server = serve(UpdatedSinceServer(ITEMS))
    loader = RestApiLoader(changes_config(server), allow_private=True)
    stream = loader.lazy_load()
    first = next(stream)
    assert len(server.requests) == 1  # lazy: one page fetched for the first document
    docs = [first, *stream]
    assert len(docs) == ITEMS and len({doc.id for doc in docs}) == ITEMS
    assert len(server.requests) == 5  # 120 items, 25 a page
    item = sample_items(ITEMS)[0]
    assert docs[0].metadata["title"] == item.title and docs[0].metadata["author"] == item.author
    assert item.plain_body in docs[0].page_content and docs[0].metadata["updated_at"].endswith("Z")
    assert loader.report.to_dict()["documents"] == ITEMS


def test_loader_window_is_sent_to_the_api(serve):
    server = serve(UpdatedSinceServer(ITEMS))
    items = sample_items(ITEMS)
    since, until = items[10].updated_at, items[40].updated_at
    docs = RestApiLoader(changes_config(server), allow_private=True, since=since.isoformat(),
                         until=until).load()
    assert [doc.metadata["title"] for doc in docs] == [item.title for item in items[10:40]]
    assert server.bounds[0] == (since, until)
    with pytest.raises(ConfigError, match="until"):
        RestApiLoader(changes_config(server), allow_private=True, since="2024-02-01", until="2024-01-01")
    with pytest.raises(ConfigError, match="since"):
        RestApiLoader(changes_config(server), allow_private=True, since="last tuesday")


def test_demo_end_to_end(demo_kb):
    docs = RestsyncRetriever(kb_path=demo_kb, k=3).invoke("how do I reset audit logs")
    assert len(docs) == 3 and docs[0].metadata["link"].startswith("http://127.0.0.1")
    assert docs[0].metadata["category"]
