"""The knowledge base's search index on Milvus (a cluster, or Milvus Lite in a local file).

One collection per knowledge base, one row per chunk: the chunk's text and title for Milvus's
built-in BM25 function (the keyword leg), its dense vector (cosine, the vector leg) and its
document's metadata normalised for filters (`milvus_filters`). Writes are by document and
batched: an upsert deletes the document's old chunks then inserts its new ones.

Both legs are asked for candidates with the filters pushed down, and every candidate gets both
raw scores (cosine computed here from the vectors the keyword leg returns), so the knowledge
base fuses them exactly as it fuses the embedded store's: `vector_weight` means the same on
either index. Milvus's own WeightedRanker returns only a fused score normalised its own way
(arctan of BM25), which would give the same weight a different meaning per engine.

Needs the `scale` extra (`pymilvus`; `milvus-lite` for file URIs), imported only here.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Sequence

import numpy as np
import xxhash

from restsync.errors import ConfigError, KnowledgeBaseError
from restsync.kb.index.milvus_dense import KEY, DenseIndex, index_matches
from restsync.kb.index.milvus_filters import FILTER_FIELD, expression, filter_fields, held_expression
from restsync.kb.store.base import Candidate, DocumentRecord, SearchRequest
from restsync.kb.terms import query_terms

BATCH_ROWS = 200  # rows per insert: Milvus Lite ingests fastest around this size
_DELETE_BATCH = 500  # documents per delete expression
_KEYWORD_OVERFETCH = 4  # BM25 scores gathered per candidate: vector candidates get theirs from here
_MAX_LIMIT = 16_384  # Milvus's topk ceiling
_TEXT_BYTES = 65_535
_SHORT_BYTES = 4_096
# Words as FTS5's unicode61 tokenizer splits them, lowercased and Porter-stemmed as FTS5's `porter`
# tokenizer stems them (else "returned" would not find "return"); query terms arrive without
# stopwords (`kb.terms`), as they reach FTS5.
ANALYZER = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stemmer", "language": "english"}]}
_PAYLOAD = ["source", "doc_id", "ordinal", "title", "link", "metadata", "text"]

logger = logging.getLogger("restsync.kb")


def collection_name(kb_id: str, prefix: str = "restsync") -> str:
    """Milvus names allow letters, digits and underscores."""
    return f"{prefix}_{re.sub(r'[^0-9A-Za-z_]', '_', kb_id)}"


class MilvusIndex:
    name = "milvus"
    mirrors_writes = True

    def __init__(self, uri: str, kb_id: str, *, token: str | None = None, client: Any = None,
                 dense: DenseIndex | None = None):
        try:
            from pymilvus import MilvusClient
        except ImportError as error:  # the scale extra is optional
            raise ConfigError(
                "a Milvus index needs the scale extra: pip install 'restsync[scale]'", key="index_url"
            ) from error
        self.uri = uri
        self.collection = collection_name(kb_id)
        try:
            # An alias of its own: pymilvus shares one connection between clients of the same URI,
            # and closing any of them (a deleted knowledge base) would cut off all the others.
            self._client = client or MilvusClient(uri=uri, token=token or "", alias=f"restsync-{uuid.uuid4().hex}")
        except Exception as error:  # pymilvus raises its own tree; say which index failed
            raise KnowledgeBaseError(f"cannot reach the Milvus index at {uri}: {error}") from error
        self.dense = dense or DenseIndex()
        self._dimension: int | None = None
        if self._client.has_collection(self.collection):
            self._learn_dimension()
            self._match_dense_index()
            self._client.load_collection(self.collection)

    # -- schema ---------------------------------------------------------------------------
    def _learn_dimension(self) -> None:
        described = self._client.describe_collection(self.collection)
        for field in described.get("fields", []):
            if field.get("name") == "dense":
                self._dimension = int(field.get("params", {}).get("dim"))

    def _match_dense_index(self) -> None:
        """Rebuild the dense index when the index URL asks for another one than the collection's
        (Milvus builds it again from the vectors it holds; search options need no rebuild)."""
        if "dense" in self._client.list_indexes(self.collection, field_name="dense"):
            described = self._client.describe_index(self.collection, index_name="dense")
            if index_matches(described, self.dense):
                return
            logger.warning("Milvus collection %s: rebuilding its dense index as %s (it was %s)", self.collection,
                           self.dense.describe(), described.get("index_type"))
            self._client.release_collection(self.collection)
            self._client.drop_index(self.collection, index_name="dense")
        indexes = self._client.prepare_index_params()
        self._add_dense_index(indexes)
        self._refused_index(lambda: self._client.create_index(self.collection, indexes))

    def _add_dense_index(self, indexes: Any) -> None:
        indexes.add_index(field_name="dense", index_name="dense", index_type=self.dense.milvus_type, metric_type="COSINE",
                          params=self.dense.build_params())

    def _refused_index(self, create: Any) -> None:
        """Run `create`; an index the engine refuses (Milvus Lite builds only FLAT and IVF_FLAT)
        becomes a ConfigError naming the index URL, with the engine's own reason."""
        try:
            create()
        except Exception as error:  # pymilvus's MilvusException; anything else is not ours to hide
            if not (self.dense.approximate and "index" in str(error).lower()):
                raise
            reason = getattr(error, "message", None) or str(error)
            raise ConfigError(f"the Milvus index at {self.uri} cannot build index={self.dense.kind}: {reason}", key=KEY) from None

    def _ensure_collection(self, dimension: int) -> None:
        if self._dimension is not None:
            if dimension != self._dimension:
                raise KnowledgeBaseError(
                    f"the Milvus collection {self.collection} holds {self._dimension}-dimensional vectors, not {dimension}"
                )
            return
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("doc_key", DataType.VARCHAR, max_length=32)
        schema.add_field("source", DataType.VARCHAR, max_length=_SHORT_BYTES)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=_SHORT_BYTES)
        schema.add_field("ordinal", DataType.INT64)
        schema.add_field("title", DataType.VARCHAR, max_length=_SHORT_BYTES)
        schema.add_field("link", DataType.VARCHAR, max_length=_SHORT_BYTES)
        schema.add_field("text", DataType.VARCHAR, max_length=_TEXT_BYTES)
        # Title twice: the embedded BM25 weighs a title match double.
        schema.add_field(
            "keyword_text", DataType.VARCHAR, max_length=_TEXT_BYTES, enable_analyzer=True,
            analyzer_params=ANALYZER,
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("metadata", DataType.JSON)
        schema.add_field(FILTER_FIELD, DataType.JSON)
        schema.add_function(
            Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["keyword_text"],
                     output_field_names=["sparse"])
        )
        indexes = self._client.prepare_index_params()
        indexes.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self._add_dense_index(indexes)

        def create() -> None:
            try:
                self._client.create_collection(self.collection, schema=schema, index_params=indexes,
                                               consistency_level="Strong")
            except Exception:
                # pymilvus creates the collection, then its indexes: a refused index leaves it behind.
                if self._client.has_collection(self.collection):
                    self._client.drop_collection(self.collection)
                raise

        self._refused_index(create)
        self._client.load_collection(self.collection)
        self._dimension = dimension

    # -- writes ---------------------------------------------------------------------------
    def upsert(self, source: str, records: Sequence[DocumentRecord]) -> None:
        if not records:
            return
        self.delete(source, [record.doc_id for record in records])
        rows = [row for record in records for row in _rows(source, record)]
        if not rows:
            return
        self._ensure_collection(len(rows[0]["dense"]))
        for start in range(0, len(rows), BATCH_ROWS):
            self._client.insert(self.collection, rows[start : start + BATCH_ROWS])

    def delete(self, source: str, doc_ids: Sequence[str]) -> None:
        if self._dimension is None or not doc_ids:
            return
        keys = [_doc_key(source, doc_id) for doc_id in doc_ids]
        for start in range(0, len(keys), _DELETE_BATCH):
            self._client.delete(self.collection, filter=f"doc_key in {_list(keys[start : start + _DELETE_BATCH])}")

    def delete_source(self, source: str) -> None:
        if self._dimension is not None:
            self._client.delete(self.collection, filter=f"source == {_string(source)}")

    def drop(self) -> None:
        """Remove the whole collection (the knowledge base is deleted)."""
        if self._client.has_collection(self.collection):
            self._client.drop_collection(self.collection)
        self._dimension = None

    # -- reads ----------------------------------------------------------------------------
    def count_chunks(self) -> int:
        if self._dimension is None:
            return 0
        result = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(result[0]["count(*)"])

    def search(self, request: SearchRequest) -> list[Candidate]:
        if self._dimension is None:
            return []
        condition = expression(request.filters, request.sources, self._excluded(request))
        terms = query_terms(request.text) if request.use_keyword else []
        keyword_hits = self._keyword_leg(" ".join(terms), condition, request.candidates) if terms else []
        bm25 = {hit["id"]: float(hit["distance"]) for hit in keyword_hits}
        chosen = {hit["id"]: hit["entity"] for hit in keyword_hits[: request.candidates]}
        cosine: dict[str, float] = {}
        if request.vector is not None:
            query = np.asarray(request.vector, dtype=np.float32)
            for hit in self._vector_leg(query, condition, request.candidates):
                cosine[hit["id"]] = float(hit["distance"])
                chosen.setdefault(hit["id"], hit["entity"])
            for pk, entity in chosen.items():
                if pk not in cosine:
                    cosine[pk] = _cosine(query, entity["dense"])
        return [_candidate(entity, bm25.get(pk), cosine.get(pk)) for pk, entity in chosen.items()]

    def _excluded(self, request: SearchRequest) -> list[str]:
        """Documents a `!=` filter rules out: those holding the value."""
        keys: set[str] = set()
        for item in request.filters:
            if item.op != "!=":
                continue
            condition = held_expression(item)
            if request.sources is not None:
                condition = f"({condition}) and (source in {_list(list(request.sources))})"
            rows = self._client.query(self.collection, filter=condition, output_fields=["doc_key"], limit=_MAX_LIMIT)
            if len(rows) >= _MAX_LIMIT:
                raise KnowledgeBaseError(
                    f"the filter {item.key}!={item.value} excludes more than {_MAX_LIMIT} chunks, more than the Milvus "
                    "index evaluates; filter on the values to keep instead (=, in, ranges)"
                )
            keys.update(row["doc_key"] for row in rows)
        return sorted(keys)

    def _keyword_leg(self, text: str, condition: str, wanted: int) -> list[dict]:
        limit = min(wanted * _KEYWORD_OVERFETCH, _MAX_LIMIT)
        result = self._client.search(
            self.collection, data=[text], anns_field="sparse", limit=limit, filter=condition,
            output_fields=[*_PAYLOAD, "dense"], search_params={"metric_type": "BM25"},
        )
        return list(result[0]) if result else []

    def _vector_leg(self, query: np.ndarray, condition: str, wanted: int) -> list[dict]:
        result = self._client.search(
            self.collection, data=[query.tolist()], anns_field="dense", limit=min(wanted, _MAX_LIMIT),
            filter=condition, output_fields=_PAYLOAD,
            search_params={"metric_type": "COSINE", "params": self.dense.search_params(min(wanted, _MAX_LIMIT))},
        )
        return list(result[0]) if result else []

    def close(self) -> None:
        self._client.close()


def _doc_key(source: str, doc_id: str) -> str:
    return xxhash.xxh3_128_hexdigest(f"{source}\x00{doc_id}".encode("utf-8"))


def _rows(source: str, record: DocumentRecord) -> list[dict[str, Any]]:
    doc_key = _doc_key(source, record.doc_id)
    filters = filter_fields(record.metadata)
    title = _clip(record.title, _SHORT_BYTES)
    return [
        {
            "pk": f"{doc_key}-{chunk.ordinal}", "doc_key": doc_key, "source": source,
            "doc_id": _checked(record.doc_id, "document id"), "ordinal": chunk.ordinal, "title": title,
            "link": _clip(record.link or "", _SHORT_BYTES), "text": _clip(chunk.text, _TEXT_BYTES),
            "keyword_text": _clip(f"{title}\n{title}\n{chunk.text}", _TEXT_BYTES),
            "dense": np.asarray(chunk.vector, dtype=np.float32).tolist(), "metadata": record.metadata, FILTER_FIELD: filters,
        }
        for chunk in record.chunks
    ]


def _clip(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes (Milvus's VARCHAR length), cut on a character boundary."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _checked(value: str, what: str) -> str:
    if len(value.encode("utf-8")) > _SHORT_BYTES:
        raise KnowledgeBaseError(f"a {what} longer than {_SHORT_BYTES} bytes cannot be indexed in Milvus")
    return value


def _cosine(query: np.ndarray, vector: Sequence[float]) -> float:
    other = np.asarray(vector, dtype=np.float32)
    norms = float(np.linalg.norm(query) * np.linalg.norm(other))
    return float(query @ other / norms) if norms else 0.0


def _candidate(entity: dict[str, Any], keyword: float | None, vector: float | None) -> Candidate:
    return Candidate(
        source=entity["source"], doc_id=entity["doc_id"], ordinal=int(entity["ordinal"]), title=entity["title"],
        link=entity["link"] or None, metadata=entity.get("metadata") or {}, text=entity["text"],
        keyword_score=keyword, vector_score=vector,
    )


def _string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _list(values: list[str]) -> str:
    import json

    return json.dumps(values, ensure_ascii=False)
