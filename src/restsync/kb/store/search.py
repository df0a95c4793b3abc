"""Candidate generation for hybrid search over the SQLite store, inside one read snapshot.

Keyword: FTS5 BM25 (title weighted double) joined to the filtered documents.
Vector: exact cosine over the memory-mapped matrix; the best rows are checked against the
filters in SQL, and only when too few pass (a selective filter) are all the rows the filter
allows fetched and ranked instead. Each candidate then gets the score it lacks, so fusion
sees both scores for every chunk.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sqlalchemy import Connection, column, func, literal_column, select, table, text

from restsync.kb.store import schema
from restsync.kb.store.base import Candidate, SearchRequest
from restsync.kb.store.fts import match_expression
from restsync.kb.store.sql_filters import documents_where
from restsync.kb.store.vectors import VectorFile

_fts = table("chunks_fts", column("rowid"))
_BM25 = "bm25(chunks_fts, 2.0, 1.0)"  # lower is better; negated below
# Rows checked against the filters per candidate wanted: enough for a 5%-selective filter
# in one round (ranking 25x more costs FTS5 nothing extra). Vector rounds then grow 8-fold.
_KEYWORD_OVERFETCH = 25
_OVERFETCH = 8


def search_candidates(conn: Connection, vectors: VectorFile, request: SearchRequest) -> list[Candidate]:
    restricted = bool(request.filters) or request.sources is not None
    where_set = documents_where(request.filters, request.sources) if restricted else None
    where_row = documents_where(request.filters, request.sources, per_row=True) if restricted else None
    match = match_expression(request.text) if request.use_keyword else None
    keyword_best, bm25 = _keyword_candidates(conn, match, where_row, where_set, request.candidates) if match else ([], {})
    scores = vectors.scores(request.vector) if request.vector is not None else None
    vector_keys = (
        _vector_candidates(conn, scores, where_row, where_set, request.candidates) if scores is not None and len(scores) else []
    )
    keys = list(dict.fromkeys([*keyword_best, *vector_keys]))
    return [_candidate(row, bm25, scores) for row in _payload(conn, keys)]


def _keyword_candidates(
    conn: Connection, match: str, where_row: Any, where_set: Any, wanted: int
) -> tuple[list[int], dict[int, float]]:
    """The `wanted` best BM25 chunks the filters allow, and BM25 scores of every chunk ranked
    on the way (vector candidates outside them are weak keyword matches: scored 0).
    The FTS index ranks alone first (its fast path) and the filters check the best; a
    selective filter falls back to one joined query."""
    fetched = wanted * _KEYWORD_OVERFETCH
    scores = {key: float(score) for key, score in conn.execute(_fts_query(match, fetched))}
    passing = set(scores) if where_row is None else _passing_chunks(conn, list(scores), where_row)
    if len(passing) < wanted and len(scores) == fetched:
        joined = (
            _fts_query(match, wanted)
            .join(schema.chunks, schema.chunks.c.chunk_key == _fts.c.rowid)
            .join(schema.documents, schema.documents.c.doc_key == schema.chunks.c.doc_key)
            .where(where_set)
        )
        extra = {key: float(score) for key, score in conn.execute(joined)}
        scores.update(extra)
        passing |= set(extra)
    return sorted(passing, key=lambda key: -scores[key])[:wanted], scores


def _fts_query(match: str, limit: int) -> Any:
    query = (
        select(_fts.c.rowid, literal_column(f"-{_BM25}"))
        .select_from(_fts)
        .where(text("chunks_fts MATCH :match").bindparams(match=match))
        .order_by(literal_column(_BM25))
        .limit(limit)
    )
    return query


def _passing_chunks(conn: Connection, keys: list[int], where_row: Any) -> set[int]:
    chunks, documents = schema.chunks.c, schema.documents.c
    query = select(chunks.chunk_key).join_from(schema.chunks, schema.documents, documents.doc_key == chunks.doc_key)
    return set(conn.scalars(query.where(chunks.chunk_key.in_(_json_list(keys)), where_row)))


def _vector_candidates(conn: Connection, scores: np.ndarray, where_row: Any, where_set: Any, wanted: int) -> list[int]:
    """Chunk keys of the `wanted` best-scoring live chunks the filters allow: the best rows
    are checked in rounds growing 8-fold; when a filter is so selective that they all
    fail, every row it allows is ranked instead."""
    allowed: dict[int, int] = {}
    checked = 0
    size = wanted * _KEYWORD_OVERFETCH
    while len(allowed) < wanted and checked < len(scores) and size <= wanted * _KEYWORD_OVERFETCH * _OVERFETCH**2:
        allowed.update(_live_rows(conn, where_row, _top_indices(scores, size)[checked:].tolist()))
        checked, size = size, size * _OVERFETCH
    if len(allowed) < wanted and checked < len(scores):
        allowed = _live_rows(conn, where_set, None)
    if not allowed:
        return []
    rows = np.fromiter(allowed.keys(), dtype=np.int64, count=len(allowed))
    return [allowed[int(row)] for row in rows[_top_indices(scores[rows], wanted)]]


def _top_indices(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` highest values, best first (partition, then sort the few)."""
    if count >= len(values):
        return np.argsort(-values, kind="stable")
    best = np.argpartition(-values, count - 1)[:count]
    return best[np.argsort(-values[best], kind="stable")]


def _live_rows(conn: Connection, where: Any, rows: list[int] | None) -> dict[int, int]:
    """vec_row -> chunk_key for committed chunks passing the filters (first chunk per row)."""
    chunks, documents = schema.chunks.c, schema.documents.c
    query = select(chunks.vec_row, chunks.chunk_key).join_from(
        schema.chunks, schema.documents, documents.doc_key == chunks.doc_key
    )
    if where is not None:
        query = query.where(where)
    if rows is not None:
        query = query.where(chunks.vec_row.in_(_json_list(rows)))
    allowed: dict[int, int] = {}
    for vec_row, chunk_key in conn.execute(query):
        allowed.setdefault(vec_row, chunk_key)
    return allowed


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


def _candidate(row: Any, keyword: dict[int, float], scores: np.ndarray | None) -> Candidate:
    vector_score = float(scores[row.vec_row]) if scores is not None and row.vec_row < len(scores) else None
    return Candidate(
        source=row.source, doc_id=row.doc_id, ordinal=row.ordinal, title=row.title, link=row.link,
        metadata=row.metadata or {}, text=row.text, keyword_score=keyword.get(row.chunk_key), vector_score=vector_score,
    )
