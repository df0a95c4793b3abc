"""LlamaIndex: `RestsyncRetriever` over a knowledge base, `RestApiReader` over any REST API.

Needs the `llamaindex` extra (`pip install 'restsync[llamaindex]'`, which brings llama-index-core).

    retriever = RestsyncRetriever(kb_path="./kb", similarity_top_k=5)
    nodes = retriever.retrieve("refund policy for annual plans")   # NodeWithScore(TextNode)

    documents = RestApiReader("source.yaml").load_data(since="2024-01-01")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document, NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from restsync.integrations.backend import SearchBackend
from restsync.integrations.convert import document_metadata, hit_metadata, open_backend, parse_window

__all__ = ["RestApiReader", "RestsyncRetriever"]


class RestsyncRetriever(BaseRetriever):
    """Hybrid search over a restsync knowledge base, local (`kb_path`) or on a server
    (`server_url` + `token`), or over any `SearchBackend` (`backend`).

    Each hit is a `NodeWithScore` (score 0..1) around a `TextNode` whose id is the chunk id,
    text the chunk text, metadata the item's metadata plus `title`, `link`, `document_id`,
    `chunk_id`, `knowledge_base_id`, `source` and `score`; its SOURCE relationship points at
    the document id (so `node.ref_doc_id` is the document).
    """

    def __init__(
        self,
        *,
        backend: SearchBackend | None = None,
        kb_path: str | Path | None = None,
        server_url: str | None = None,
        token: str | None = None,
        knowledge_base_ids: list[str] | None = None,
        similarity_top_k: int = 4,
        filters: list[str] | None = None,
        vector_weight: float | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self._backend = open_backend(backend, kb_path=kb_path, server_url=server_url, token=token)
        self.knowledge_base_ids = knowledge_base_ids
        self.similarity_top_k = similarity_top_k
        self.filters = list(filters or ())
        self.vector_weight = vector_weight

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._backend.search(query_bundle.query_str, kb_ids=self.knowledge_base_ids, filters=self.filters,
                                    k=self.similarity_top_k, vector_weight=self.vector_weight)
        return [NodeWithScore(node=_node(hit), score=float(hit["score"])) for hit in hits]


def _node(hit: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=hit["chunk_id"],
        text=hit["text"],
        metadata=hit_metadata(hit),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=str(hit["document_id"]))},
    )


class RestApiReader(BaseReader):
    """Stream documents from any REST API through a restsync config (file path or mapping).

    `since` / `until` (datetime, epoch seconds or ISO 8601) ask for the window
    [since, until); given to the constructor they are the default of every load.
    """

    def __init__(
        self,
        config: str | Path | Mapping[str, Any],
        *,
        credentials: Mapping[str, str] | None = None,
        since: Any = None,
        until: Any = None,
        allow_private: bool = False,
        **connector_options: Any,
    ):
        from restsync.connector import RestApiConnector

        self._window = parse_window(since, until)
        self.connector = RestApiConnector(config, credentials=credentials, allow_private=allow_private,
                                          **connector_options)

    @property
    def report(self) -> Any:
        return self.connector.report

    def lazy_load_data(self, since: Any = None, until: Any = None) -> Iterable[Document]:
        start, end = parse_window(since, until) if since is not None or until is not None else self._window
        for document in self.connector.iter_documents(start, end):
            yield Document(id_=document.id, text=document.content, metadata=document_metadata(document))
