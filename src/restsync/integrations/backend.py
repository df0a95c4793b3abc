"""The one seam every integration searches through: `SearchBackend`.

Dify, MCP, LangChain and LlamaIndex speak to a backend, never to a knowledge base or a
server directly, so each works the same over a local knowledge-base directory
(`LocalBackend`), a running restsync server (`RemoteBackend`) or the server's own datasets
(the server's `ServiceBackend`, inside the server process).

Plain dicts cross the seam, so a backend needs nothing from the integrations and the
integrations nothing from a backend's storage:

- knowledge base: `id`, `name`, `description`, `sources` (names), `documents`, `chunks`, `last_sync`
- hit: `chunk_id`, `document_id`, `kb_id`, `title`, `link`, `text`, `metadata`, `score` (0..1)
- document: `id`, `kb_id`, `title`, `link`, `text`, `metadata`, `updated_at`
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence, runtime_checkable

from restsync.errors import RestSyncError

if TYPE_CHECKING:  # the kb extra is imported only when a LocalBackend is built
    from restsync.kb import KnowledgeBase
    from restsync.kb.filters import Filter
    from restsync.kb.types import Hit, StoredDocument


class UnknownKnowledgeBaseError(RestSyncError, LookupError):
    """A knowledge-base id the backend does not hold (Dify's error 2001, HTTP 404)."""

    def __init__(self, kb_id: str):
        super().__init__(f"no knowledge base with id {kb_id!r}")
        self.kb_id = kb_id


class BackendError(RestSyncError):
    """A remote backend answered with an error or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@runtime_checkable
class SearchBackend(Protocol):
    def list_knowledge_bases(self) -> list[dict]:
        """Each: id, name, description, sources, documents, chunks, last_sync (ISO 8601 or None)."""
        ...

    def search(
        self,
        query: str,
        *,
        kb_ids: list[str] | None,
        filters: list[str | Filter],
        k: int,
        vector_weight: float | None = None,
    ) -> list[dict]:
        """Best `k` chunks, best first, over `kb_ids` (None: all). `filters` (all must hold) are
        strings in the knowledge base's syntax (`key=value`, `!=`, `>=`, `<=`, `>`, `<`,
        `key in a,b`) or `restsync.kb.filters.Filter` objects (values that syntax cannot spell).
        Raises UnknownKnowledgeBaseError for an id it does not hold, ConfigError for a bad filter."""
        ...

    def get_document(self, document_id: str, kb_id: str | None = None) -> dict | None:
        """The document with its full text, or None."""
        ...


class LocalBackend:
    """One knowledge-base directory. It answers to its id and to its directory name."""

    def __init__(self, kb_dir: str | Path, *, name: str | None = None, description: str = "",
                 knowledge_base: KnowledgeBase | None = None):
        from restsync.kb import KnowledgeBase  # the kb extra; imported here so the core stays light

        self.path = Path(kb_dir)
        if knowledge_base is None:
            if not (self.path / "kb.sqlite").is_file():
                # Opening would create an empty one: a mistyped path must not look like an empty KB.
                raise UnknownKnowledgeBaseError(str(self.path))
            knowledge_base = KnowledgeBase.open(self.path)
        self.kb = knowledge_base
        self.name = name or self.path.resolve().name
        self.description = description

    @property
    def id(self) -> str:
        return self.kb.id

    def close(self) -> None:
        self.kb.close()

    def _holds(self, kb_id: str) -> bool:
        return kb_id in (self.kb.id, self.name)

    def _check_ids(self, kb_ids: Sequence[str] | None) -> None:
        for kb_id in kb_ids or ():
            if not self._holds(kb_id):
                raise UnknownKnowledgeBaseError(kb_id)

    def list_knowledge_bases(self) -> list[dict]:
        from restsync.sync.status import last_sync_summary  # with the kb extra, as LocalBackend itself

        return [{
            "id": self.kb.id,
            "name": self.name,
            "description": self.description,
            "sources": [source.name for source in self.kb.list_sources()],
            "documents": self.kb.count_documents(),
            "chunks": self.kb.count_chunks(),
            **last_sync_summary(self.kb),
        }]

    def search(self, query: str, *, kb_ids: list[str] | None = None, filters: list[str | Filter] | None = None,
               k: int = 5, vector_weight: float | None = None) -> list[dict]:
        self._check_ids(kb_ids)
        if kb_ids is not None and not kb_ids:
            return []
        hits = self.kb.search(query, k=k, filters=list(filters or ()), vector_weight=vector_weight)
        return [hit_record(hit, self.kb.id) for hit in hits]

    def get_document(self, document_id: str, kb_id: str | None = None) -> dict | None:
        if kb_id is not None and not self._holds(kb_id):
            raise UnknownKnowledgeBaseError(kb_id)
        source, doc_id = split_document_id(document_id, self.kb.id)
        document = self.kb.get_document(doc_id, source)
        return None if document is None else document_record(document, self.kb.id)


# -- what crosses the seam, built once for every backend over knowledge bases ---------------------


def hit_record(hit: Hit, kb_id: str) -> dict:
    """A knowledge base's hit as the seam's hit (the score held to 0..1)."""
    return {
        "chunk_id": hit.chunk_id,
        "document_id": hit.document_id,
        "kb_id": kb_id,
        "source": hit.source,
        "title": hit.title,
        "link": hit.link,
        "text": hit.text,
        "metadata": dict(hit.metadata or {}),
        "score": min(max(float(hit.score), 0.0), 1.0),
    }


def document_record(document: StoredDocument, kb_id: str) -> dict:
    """A stored document as the seam's document, its text rebuilt from the chunks."""
    return {
        "id": document.doc_id,
        "kb_id": kb_id,
        "source": document.source,
        "title": document.title,
        "link": document.link,
        "text": document.text,
        "metadata": dict(document.metadata or {}),
        "updated_at": document.updated_at,
    }


def split_document_id(document_id: str, kb_id: str) -> tuple[str | None, str]:
    """A document id, or a chunk id (`<kb id>:<source>:<document id>#<n>`) naming one exactly."""
    prefix = f"{kb_id}:"
    if document_id.startswith(prefix):
        rest = document_id[len(prefix):]
        source, _, doc_part = rest.partition(":")
        if doc_part:
            doc_id, hash_sign, ordinal = doc_part.rpartition("#")
            return source, (doc_id if hash_sign and ordinal.isdigit() else doc_part)
    return None, document_id


class RemoteBackend:
    """A running restsync server, over its JSON API with a Bearer token.

    Search uses the RAGFlow-shaped `POST /api/v1/retrieval`; knowledge bases are the server's
    datasets; documents come from `GET /api/v1/datasets/{id}/documents/{document id}`.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, transport: Any = None):
        import httpx

        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendError(f"{method} {self.base_url}{path}: {type(exc).__name__}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        message = ""
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("detail") or "")
        if response.status_code == 404:
            return _NOT_FOUND
        if response.status_code >= 400 or not isinstance(body, dict) or body.get("code", 0) != 0:
            detail = message or f"HTTP {response.status_code}"
            raise BackendError(f"{method} {self.base_url}{path}: {detail}", status=response.status_code)
        return body.get("data")

    def list_knowledge_bases(self) -> list[dict]:
        data = self._call("GET", "/api/v1/datasets", params={"page_size": 1000})
        if data is _NOT_FOUND:
            raise BackendError(f"{self.base_url} has no /api/v1/datasets: is it a restsync server?", status=404)
        rows = data if isinstance(data, list) else []
        return [_dataset_to_kb(row) for row in rows if isinstance(row, dict)]

    def search(self, query: str, *, kb_ids: list[str] | None = None, filters: list[str | Filter] | None = None,
               k: int = 5, vector_weight: float | None = None) -> list[dict]:
        if kb_ids is not None and not kb_ids:
            return []
        body: dict[str, Any] = {"question": query, "page": 1, "page_size": k, "top_k": max(k, 1),
                                "similarity_threshold": 0.0}
        if kb_ids is not None:
            body["dataset_ids"] = list(kb_ids)
        if filters:
            body["metadata_condition"] = {"logic": "and", "conditions": [_condition(item) for item in filters]}
        if vector_weight is not None:
            body["vector_similarity_weight"] = vector_weight
        data = self._call("POST", "/api/v1/retrieval", json=body)
        if data is _NOT_FOUND:
            raise UnknownKnowledgeBaseError(",".join(kb_ids or ()))
        chunks = (data or {}).get("chunks", []) if isinstance(data, dict) else []
        return [_chunk_to_hit(chunk) for chunk in chunks][:k]

    def get_document(self, document_id: str, kb_id: str | None = None) -> dict | None:
        if kb_id is None:
            for kb in self.list_knowledge_bases():
                found = self.get_document(document_id, kb["id"])
                if found is not None:
                    return found
            return None
        from urllib.parse import quote

        data = self._call("GET", f"/api/v1/datasets/{quote(kb_id, safe='')}/documents/{quote(document_id, safe='')}")
        if data is _NOT_FOUND or not isinstance(data, dict):
            return None
        return {
            "id": data.get("id", document_id),
            "kb_id": data.get("dataset_id") or data.get("kb_id") or kb_id,
            "source": data.get("source"),
            "title": data.get("title") or data.get("name") or "",
            "link": data.get("link"),
            "text": data.get("text") or data.get("content") or "",
            "metadata": dict(data.get("metadata") or data.get("meta_fields") or {}),
            "updated_at": data.get("update_time") or data.get("updated_at"),
        }


_NOT_FOUND = object()
# The knowledge base's filter operators in RAGFlow's metadata_condition.
_RAGFLOW_OPERATORS = {"=": "is", "!=": "≠", ">": ">", "<": "<", ">=": "≥", "<=": "≤", "in": "in"}


def _condition(item: Any) -> dict[str, Any]:
    from restsync.kb.filters import parse_filter

    parsed = parse_filter(item) if isinstance(item, str) else item
    value = list(parsed.value) if parsed.op == "in" else parsed.value
    return {"name": parsed.key, "comparison_operator": _RAGFLOW_OPERATORS[parsed.op], "value": value}


def _dataset_to_kb(row: dict) -> dict:
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "description": row.get("description") or "",
        "sources": [c.get("name") for c in row.get("connectors") or [] if isinstance(c, dict)]
                   or list(row.get("sources") or []),
        "documents": row.get("document_count", row.get("documents", 0)),
        "chunks": row.get("chunk_count", row.get("chunks", 0)),
        "last_sync": row.get("last_sync"),
    }


def _chunk_to_hit(chunk: dict) -> dict:
    """A RAGFlow retrieval chunk (with restsync's extra fields) as a backend hit."""
    return {
        "chunk_id": chunk.get("id"),
        "document_id": chunk.get("document_id"),
        "kb_id": chunk.get("dataset_id") or chunk.get("kb_id"),
        "source": chunk.get("connector_id") or chunk.get("source"),
        "title": chunk.get("title") or chunk.get("document_keyword") or "",
        "link": chunk.get("link"),
        "text": chunk.get("content", ""),
        "metadata": dict(chunk.get("metadata") or {}),
        "score": min(max(float(chunk.get("similarity") or 0.0), 0.0), 1.0),
    }
