"""Search over several datasets: RAGFlow's retrieval, and the `SearchBackend` integrations use.

Each dataset's knowledge base ranks its own chunks (the library's hybrid search, the same as
`restsync search`); hits from several datasets merge by score.
"""

from __future__ import annotations

import html
import re
from typing import Any, Sequence

from restsync.errors import ConfigError
from restsync.integrations.backend import UnknownKnowledgeBaseError, document_record, hit_record, split_document_id
from restsync.integrations.conditions import ConditionPlan, plan_conditions
from restsync.kb.filters import Filter
from restsync.kb.terms import query_terms, term_matches
from restsync.service.datasets import DatasetStore
from restsync.service.errors import InvalidRequestError, NotFoundError
from restsync.sync.status import last_sync_summary

_WORD = re.compile(r"\w+", re.UNICODE)
# `total` counts the hits among the best this many (or the requested page, if deeper), capped by top_k.
COUNTED_HITS = 100


def metadata_plan(condition: dict[str, Any] | None) -> ConditionPlan:
    """RAGFlow's `metadata_condition` (every operator its API reference lists, `and`/`or`):
    knowledge-base filters where they are exact, the rest checked on each hit's metadata."""
    try:
        return plan_conditions(condition or None)
    except ConfigError as exc:
        raise InvalidRequestError(str(exc).split(": ", 1)[-1], key=exc.key or "metadata_condition") from None


def highlight(text: str, question: str) -> str:
    """`text` HTML-escaped, with the words matching the question's terms in <em>."""
    terms = query_terms(question)
    out, last = [], 0
    for match in _WORD.finditer(text):
        word = {match.group().lower()}
        if any(term_matches(term, word) for term in terms):
            out.append(html.escape(text[last:match.start()]))
            out.append(f"<em>{html.escape(match.group())}</em>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class DatasetSearch:
    def __init__(self, datasets: DatasetStore):
        self._datasets = datasets

    def _targets(self, dataset_ids: Sequence[str] | None, key: str = "dataset_ids") -> list[Any]:
        if not dataset_ids:
            return self._datasets.list(limit=10_000, desc=False)[0]
        rows = []
        for dataset_id in dataset_ids:
            try:
                rows.append(self._datasets.get(dataset_id))
            except NotFoundError:
                raise NotFoundError("dataset", dataset_id) from None
        return rows

    def hits(self, question: str, *, dataset_ids: Sequence[str] | None, filters: Sequence[Filter | str],
             k: int, vector_weight: float | None = None, threshold: float = 0.0,
             document_ids: Sequence[str] | None = None) -> list[tuple[str, Any]]:
        """(dataset id, Hit) best first, at most k."""
        found: list[tuple[str, Any]] = []
        wanted = set(document_ids or ())
        for row in self._targets(dataset_ids):
            kb = self._datasets.open(row)
            # Without an id filter in the store, ask for more when documents are restricted.
            take = k if not wanted else max(k * 4, 200)
            for hit in kb.search(question, k=take, filters=list(filters), vector_weight=vector_weight,
                                 threshold=threshold):
                if not wanted or hit.document_id in wanted:
                    found.append((row.id, hit))
        found.sort(key=lambda pair: pair[1].score, reverse=True)
        return found[:k]

    def retrieval(self, body: dict[str, Any]) -> dict[str, Any]:
        """RAGFlow's `POST /api/v1/retrieval` (body already validated for types)."""
        question = body["question"]
        page, page_size, top_k = body["page"], body["page_size"], body["top_k"]
        plan = metadata_plan(body.get("metadata_condition"))
        wanted = min(top_k, max(page * page_size, COUNTED_HITS))
        try:
            hits = self.hits(question, dataset_ids=body.get("dataset_ids"), filters=plan.filters,
                             k=plan.candidates(wanted), vector_weight=body.get("vector_similarity_weight"),
                             threshold=body.get("similarity_threshold") or 0.0, document_ids=body.get("document_ids"))
        except ConfigError as exc:
            raise InvalidRequestError(str(exc).split(": ", 1)[-1], key="metadata_condition") from None
        hits = [(dataset_id, hit) for dataset_id, hit in hits if plan.keeps(dict(hit.metadata or {}))][:wanted]
        window = hits[(page - 1) * page_size: page * page_size]
        chunks = []
        aggregates: dict[str, dict[str, Any]] = {}
        for dataset_id, hit in hits:
            entry = aggregates.setdefault(hit.document_id, {"doc_id": hit.document_id, "doc_name": hit.title, "count": 0})
            entry["count"] += 1
        for dataset_id, hit in window:
            chunks.append({
                "id": hit.chunk_id, "content": hit.text, "document_id": hit.document_id,
                "document_keyword": hit.title, "dataset_id": dataset_id,
                "highlight": highlight(hit.text, question) if body.get("highlight") else None,
                "similarity": hit.score,
                "term_similarity": hit.keyword_score,
                "vector_similarity": hit.vector_score,
                "title": hit.title, "link": hit.link, "metadata": dict(hit.metadata or {}),
                "connector_id": hit.source,
            })
        doc_aggs = sorted(aggregates.values(), key=lambda entry: entry["count"], reverse=True)
        return {"chunks": chunks, "doc_aggs": doc_aggs, "total": len(hits)}


class ServiceBackend:
    """The server's datasets as a `SearchBackend` (what the Dify and MCP integrations search)."""

    def __init__(self, datasets: DatasetStore, search: DatasetSearch | None = None):
        self._datasets = datasets
        self._search = search or DatasetSearch(datasets)

    def list_knowledge_bases(self) -> list[dict]:
        result = []
        for row in self._datasets.list(limit=10_000, desc=False)[0]:
            kb = self._datasets.open(row)
            result.append({
                "id": row.id, "name": row.name, "description": row.description,
                "sources": [connector.name for connector in self._datasets.connectors_of(row.id)],
                "documents": kb.count_documents(), "chunks": kb.count_chunks(),
                **last_sync_summary(kb),
            })
        return result

    def search(self, query: str, *, kb_ids: list[str] | None = None, filters: list[str] | None = None,
               k: int = 5, vector_weight: float | None = None) -> list[dict]:
        if kb_ids is not None and not kb_ids:
            return []
        try:
            hits = self._search.hits(query, dataset_ids=kb_ids, filters=list(filters or ()), k=k,
                                     vector_weight=vector_weight)
        except NotFoundError:
            missing = next(i for i in kb_ids or () if not self._exists(i))
            raise UnknownKnowledgeBaseError(missing) from None
        return [hit_record(hit, dataset_id) for dataset_id, hit in hits]

    def get_document(self, document_id: str, kb_id: str | None = None) -> dict | None:
        if kb_id is not None and not self._exists(kb_id):
            raise UnknownKnowledgeBaseError(kb_id)
        rows = [self._datasets.get(kb_id)] if kb_id else self._datasets.list(limit=10_000, desc=False)[0]
        for row in rows:
            kb = self._datasets.open(row)
            source, doc_id = split_document_id(document_id, kb.id)
            document = kb.get_document(doc_id, source)
            if document is not None:
                return document_record(document, row.id)
        return None

    def _exists(self, dataset_id: str) -> bool:
        try:
            self._datasets.get(dataset_id)
        except NotFoundError:
            return False
        return True
