"""LlamaIndex: the retriever over a local knowledge base, the reader over a paginated loopback API."""

from __future__ import annotations

from llama_index.core.schema import Document, NodeWithScore, TextNode

from restsync.integrations.llamaindex import RestApiReader, RestsyncRetriever
from servers import UpdatedSinceServer, sample_items

from .loopback import ITEMS, changes_config


def test_retriever_returns_text_nodes_with_scores(small_kb):
    nodes = RestsyncRetriever(kb_path=small_kb, similarity_top_k=2).retrieve("reset two-factor authentication")
    assert 1 <= len(nodes) <= 2 and all(isinstance(n, NodeWithScore) and isinstance(n.node, TextNode) for n in nodes)
    top = nodes[0]
    assert top.node.node_id.endswith(":help:2fa#0") and top.node.ref_doc_id == "2fa"
    assert top.node.get_content().startswith("To reset two-factor authentication")
    assert 0 < top.score <= 1 and top.node.metadata["score"] == top.score
    assert top.node.metadata["title"] == "Reset two-factor authentication"
    assert top.node.metadata["link"] == "https://help.example.com/2fa" and top.node.metadata["category"] == "Security"


def test_retriever_applies_filters(small_kb):
    nodes = RestsyncRetriever(kb_path=small_kb, similarity_top_k=5, filters=["category=Security"]).retrieve("settings")
    assert nodes and {n.node.metadata["category"] for n in nodes} == {"Security"}


def test_reader_streams_every_page_and_windows(serve):
    server = serve(UpdatedSinceServer(ITEMS))
    reader = RestApiReader(changes_config(server), allow_private=True)
    docs = reader.load_data()
    assert len(docs) == ITEMS and all(isinstance(doc, Document) for doc in docs)
    item = sample_items(ITEMS)[3]
    assert docs[3].metadata["title"] == item.title and item.plain_body in docs[3].text
    assert len({doc.doc_id for doc in docs}) == ITEMS
    items = sample_items(ITEMS)
    window = list(reader.lazy_load_data(since=items[100].updated_at))
    assert [doc.metadata["title"] for doc in window] == [i.title for i in items[100:]]


def test_demo_end_to_end(demo_kb):
    nodes = RestsyncRetriever(kb_path=demo_kb, similarity_top_k=3).retrieve("reset audit logs")
    assert len(nodes) == 3 and nodes[0].node.metadata["link"].startswith("http://127.0.0.1")
