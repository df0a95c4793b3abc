"""Candidate generation for hybrid search over the SQLite store, inside one read snapshot.

Per query: the filters become one mask over documents (SQL over covering indexes, then
numpy); the vector leg (exact cosine over the memory map, restricted by the mask) runs on
a worker thread while this one ranks keywords (FTS5 BM25, title weighted double) and checks
them against the same mask. numpy and SQLite both release the GIL, so on two cores the
legs overlap. Each candidate then gets the score it lacks, so fusion sees both scores for
every chunk. Recall of the vector leg against exact search is 1.0 by construction.
"""

from __future__ import annotations

import json
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, column, func, literal_column, select, table, text

from restsync.errors import DamagedKnowledgeBaseError
from restsync.kb.store import schema
from restsync.kb.store.base import Candidate, SearchRequest
from restsync.kb.store.chunk_map import ChunkMap, ChunkMapCache, read_generation
from restsync.kb.store.doc_mask import DocumentMaskCache
from restsync.kb.store.fts import match_expression
from restsync.kb.store.sql_filters import documents_where
from restsync.kb.store.vectors import VectorFile

_fts = table("chunks_fts", column("rowid"))
_BM25 = "bm25(chunks_fts, 2.0, 1.0)"  # lower is better; negated below
# BM25 hits checked against the filter mask per candidate wanted: enough for a 5%-selective
# filter in one go (ranking 25x more costs FTS5 nothing extra).
_KEYWORD_OVERFETCH = 25
# Below this share of rows, gathering the allowed rows beats one product over all of them
# (a gathered row costs several times a streamed one).
_GATHER_SHARE = 0.1


@dataclass
class SearchCaches:
    """What searches reuse until the next write: the chunk map and recent filter masks."""

    chunk_maps: ChunkMapCache = field(default_factory=ChunkMapCache)
    masks: DocumentMaskCache = field(default_factory=DocumentMaskCache)


def search_candidates(
    conn: Connection, vectors: VectorFile, request: SearchRequest, caches: SearchCaches, pool: Executor
) -> list[Candidate]:
    """Keyword and vector candidates from `conn`'s snapshot; the vector leg runs on `pool`."""
    chunk_map = caches.chunk_maps.get(conn, read_generation(conn))  # the first read fixes the snapshot
    allowed = caches.masks.get(conn, chunk_map, request.filters, request.sources)
    query = np.asarray(request.vector, dtype=np.float32) if request.vector is not None else None
    if query is not None and chunk_map.rows_needed > vectors.rows():
        # Chunks pointing past the end of the file: refuse rather than score with the wrong rows.
        raise DamagedKnowledgeBaseError(
            f"the vector file {vectors.path} lacks vectors that chunks refer to (it holds {vectors.rows()} rows, "
            f"the chunks use {chunk_map.rows_needed}): it was truncated or deleted; sync any source into this "
            "knowledge base to re-embed them from the stored text (keyword-only search, --vector-weight 0, still works)"
        )
    vector_leg = pool.submit(_vector_candidates, vectors, chunk_map, allowed, query, request.candidates) if query is not None else None
    match = match_expression(request.text) if request.use_keyword else None
    keyword_best, bm25 = _keyword_candidates(conn, chunk_map, allowed, request, match) if match else ([], {})
    cosine = vector_leg.result() if vector_leg is not None else {}
    keys = list(dict.fromkeys([*keyword_best, *cosine]))
    rows = _payload(conn, keys)
    if query is not None:
        cosine.update(_cosine_of(vectors, query, [row for row in rows if row.chunk_key not in cosine]))
    return [_candidate(row, bm25, cosine) for row in rows]


def _keyword_candidates(
    conn: Connection, chunk_map: ChunkMap, allowed: np.ndarray | None, request: SearchRequest, match: str
) -> tuple[list[int], dict[int, float]]:
    """The best BM25 chunks the filters allow, and BM25 scores of every chunk ranked on the
    way (vector candidates outside them are weak keyword matches: scored 0). The FTS index
    ranks alone (its fast path) and the mask checks the best; a filter too selective for
    that falls back to one joined query."""
    wanted = request.candidates
    fetched = wanted * _KEYWORD_OVERFETCH
    scores = {key: float(score) for key, score in conn.execute(_fts_query(match, fetched))}
    passing = list(scores) if allowed is None else _allowed_chunks(chunk_map, allowed, list(scores))
    if len(passing) < wanted and len(scores) == fetched:
        joined = (
            _fts_query(match, wanted)
            .join(schema.chunks, schema.chunks.c.chunk_key == _fts.c.rowid)
            .join(schema.documents, schema.documents.c.doc_key == schema.chunks.c.doc_key)
            .where(documents_where(request.filters, request.sources))
        )
        extra = {key: float(score) for key, score in conn.execute(joined)}
        scores.update(extra)
        passing = list(dict.fromkeys([*passing, *extra]))
    return sorted(passing, key=lambda key: -scores[key])[:wanted], scores


def _allowed_chunks(chunk_map: ChunkMap, allowed: np.ndarray, keys: list[int]) -> list[int]:
    key_array = np.asarray(keys, dtype=np.int64)
    positions = chunk_map.positions_of(key_array)
    held = positions >= 0
    passing = np.zeros(len(keys), dtype=bool)
    passing[held] = allowed[chunk_map.doc_keys[positions[held]]]
    return key_array[passing].tolist()


def _fts_query(match: str, limit: int) -> Any:
    return (
        select(_fts.c.rowid, literal_column(f"-{_BM25}"))
        .select_from(_fts)
        .where(text("chunks_fts MATCH :match").bindparams(match=match))
        .order_by(literal_column(_BM25))
        .limit(limit)
    )


def _vector_candidates(
    vectors: VectorFile, chunk_map: ChunkMap, allowed: np.ndarray | None, query: np.ndarray, wanted: int
) -> dict[int, float]:
    """chunk_key -> cosine of the `wanted` best live chunks the mask allows (one chunk per
    vector row: the first, when chunks of equal text share it)."""
    matrix = vectors.matrix()
    keys, rows = chunk_map.chunk_keys, chunk_map.vec_rows
    if allowed is not None:
        chosen = allowed[chunk_map.doc_keys]
        keys, rows = keys[chosen], rows[chosen]
    if chunk_map.rows_shared:
        rows, first = np.unique(rows, return_index=True)
        keys = keys[first]
    if not len(rows) or not len(matrix):
        return {}
    if len(rows) < len(matrix) * _GATHER_SHARE:
        scores = matrix[rows] @ query
    else:
        scores = (matrix @ query)[rows]
    best = _top_indices(scores, wanted)
    return dict(zip(keys[best].tolist(), scores[best].tolist()))


def _top_indices(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` highest values, best first (partition, then sort the few)."""
    if count >= len(values):
        return np.argsort(-values, kind="stable")
    best = np.argpartition(-values, count - 1)[:count]
    return best[np.argsort(-values[best], kind="stable")]


def _cosine_of(vectors: VectorFile, query: np.ndarray, rows: list[Any]) -> dict[int, float]:
    if not rows:
        return {}
    scores = vectors.read([row.vec_row for row in rows]) @ query
    return {row.chunk_key: float(score) for row, score in zip(rows, scores)}


def _payload(conn: Connection, keys: list[int]) -> list[Any]:
    if not keys:
        return []
    chunks, documents = schema.chunks.c, schema.documents.c
    query = select(
        chunks.chunk_key, chunks.ordinal, chunks.text, chunks.vec_row,
        documents.source, documents.doc_id, documents.title, documents.link, documents.metadata,
    ).join_from(schema.chunks, schema.documents, documents.doc_key == chunks.doc_key).where(chunks.chunk_key.in_(_json_list(keys)))
    return list(conn.execute(query))


def _json_list(values: list[int]) -> Any:
    """An IN list as one JSON parameter: thousands of ids without thousands of bind variables."""
    return select(literal_column("value")).select_from(func.json_each(json.dumps(values))).scalar_subquery()


def _candidate(row: Any, keyword: dict[int, float], cosine: dict[int, float]) -> Candidate:
    return Candidate(
        source=row.source, doc_id=row.doc_id, ordinal=row.ordinal, title=row.title, link=row.link,
        metadata=row.metadata or {}, text=row.text, keyword_score=keyword.get(row.chunk_key),
        vector_score=cosine.get(row.chunk_key),
    )
