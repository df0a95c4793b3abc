"""LangChain: `RestsyncRetriever` over a knowledge base, `RestApiLoader` over any REST API.

Needs the `langchain` extra (`pip install 'restsync[langchain]'`, which brings langchain-core).

    retriever = RestsyncRetriever(kb_path="./kb", k=5, filters=["category=Billing"])
    retriever = RestsyncRetriever(server_url="http://localhost:8080", token="...", knowledge_base_ids=["..."])
    docs = retriever.invoke("refund policy for annual plans")

    for doc in RestApiLoader("source.yaml", since="2024-01-01").lazy_load(): ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from restsync.integrations.backend import SearchBackend
from restsync.integrations.convert import document_metadata, hit_metadata, open_backend, parse_window

__all__ = ["RestApiLoader", "RestsyncRetriever"]


class RestsyncRetriever(BaseRetriever):
    """Hybrid search over a restsync knowledge base, local (`kb_path`) or on a server
    (`server_url` + `token`), or over any `SearchBackend` (`backend`).

    Each hit becomes a `Document` whose `page_content` is the chunk text, `id` the chunk id,
    and `metadata` the item's metadata plus `title`, `link`, `document_id`, `chunk_id`,
    `knowledge_base_id`, `source` and `score` (0..1).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any = None
    kb_path: str | Path | None = None
    server_url: str | None = None
    token: SecretStr | None = Field(default=None, repr=False)  # never in reprs, traces or dumps
    knowledge_base_ids: list[str] | None = None
    k: int = Field(default=4, ge=1)
    filters: list[str] = Field(default_factory=list)
    vector_weight: float | None = Field(default=None, ge=0.0, le=1.0)

    _backend: SearchBackend = PrivateAttr()

    def __init__(self, **data: Any):
        super().__init__(**data)
        # Opened after validation so a bad location is a ConfigError naming the argument.
        token = self.token.get_secret_value() if self.token is not None else None
        self._backend = open_backend(self.backend, kb_path=self.kb_path, server_url=self.server_url, token=token)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self._backend.search(query, kb_ids=self.knowledge_base_ids, filters=list(self.filters), k=self.k,
                                    vector_weight=self.vector_weight)
        return [Document(page_content=hit["text"], metadata=hit_metadata(hit), id=hit["chunk_id"]) for hit in hits]


class RestApiLoader(BaseLoader):
    """Stream documents from any REST API through a restsync config (file path or mapping).

    `since` / `until` (datetime, epoch seconds or ISO 8601) ask for the window
    [since, until), as `restsync fetch --since/--until` does. Nothing is held in memory
    beyond one page. After a load, `report` tells pages, documents and any truncation.
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

        self.since, self.until = parse_window(since, until)
        self.connector = RestApiConnector(config, credentials=credentials, allow_private=allow_private,
                                          **connector_options)

    @property
    def report(self) -> Any:
        return self.connector.report

    def lazy_load(self) -> Iterator[Document]:
        for document in self.connector.iter_documents(self.since, self.until):
            yield Document(page_content=document.content, metadata=document_metadata(document), id=document.id)
