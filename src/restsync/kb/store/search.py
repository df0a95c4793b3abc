"""Candidate generation for hybrid search over the SQLite store, inside one read snapshot.

Keyword: FTS5 BM25 (title weighted double) joined to the filtered documents.
Vector: exact cosine over the memory-mapped matrix; the best rows are checked against the
filters in SQL, and only when too few pass (a selective filter) are all the rows the filter
allows fetched and ranked instead. Each candidate then gets the score it lacks, so fusion
sees both scores for every chunk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, literal_column, select, table, column, text

from restsync.kb.store import schema
from restsync.kb.store.base import Candidate, SearchRequest
from restsync.kb.store.fts import match_expression
from restsync.kb.store.sql_filters import documents_where
from restsync.kb.store.vectors import VectorFile

_fts = table("chunks_fts", column("rowid"))
_BM25 = "bm25(chunks_fts, 2.0, 1.0)"  # lower is better; negated below
_OVERFETCH = 8  # vector rows checked against filters per candidate wanted


def search_candidates(conn: Connection, vectors: VectorFile, request: SearchRequest) -> list[Candidate]:
    where = documents_where(request.filters, request.sources)
    match = match_expression(request.text) if request.use_keyword else None
    keyword = _keyword_scores(conn, match, where, request.candidates) if match else {}
    scores = vectors.scores(request.vector) if request.vector is not None else None
    vector_keys = _vector_candidates(conn, scores, where, request.candidates) if scores is not None else []
    missing_keyword = [key for key in vector_keys if key not in keyword]
    if match and missing_keyword:
        keyword.update(_keyword_scores(conn, match, where, len(missing_keyword), only=missing_keyword))
    keys = list(dict.fromkeys([*keyword, *vector_keys]))
    return [_candidate(row, keyword, scores) for row in _payload(conn, keys)]


def _keyword_scores(conn: Connection, match: str, where: Any, limit: int, only: list[int] | None = None) -> dict[int, float]:
    chunks, documents = schema.chunks.c, schema.documents.c
    query = (
        select(chunks.chunk_key, literal_column(f"-{_BM25}"))
        .select_from(_fts.join(schema.chunks, chunks.chunk_key == _fts.c.rowid).join(schema.documents, documents.doc_key == chunks.doc_key))
        .where(text("chunks_fts MATCH :match").bindparams(match=match), where)
        .order_by(literal_column(_BM25))
        .limit(limit)
    )
    if only is not None:
        query = query.where(_fts.c.rowid.in_(only))
    return {key: float(score) for key, score in conn.execute(query)}


def _vector_candidates(conn: Connection, scores: np.ndarray, where: Any, wanted: int) -> list[int]:
    """Chunk keys of the `wanted` best-scoring live chunks the filters allow."""
    if not len(scores):
        return []
    checked = min(len(scores), wanted * _OVERFETCH)
    best_rows = np.argpartition(-scores, checked - 1)[:checked]
    allowed = _live_rows(conn, where, best_rows.tolist())
    if len(allowed) < wanted and checked < len(scores):
        allowed = _live_rows(conn, where, None)  # selective filter: rank every allowed row
    if not allowed:
        return []
    rows = np.fromiter(allowed.keys(), dtype=np.int64, count=len(allowed))
    row_scores = scores[rows]
    top = min(wanted, len(rows))
    order = np.argpartition(-row_scores, top - 1)[:top]
    order = order[np.argsort(-row_scores[order], kind="stable")]
    return [allowed[int(rows[index])] for index in order]


def _live_rows(conn: Connection, where: Any, rows: list[int] | None) -> dict[int, int]:
    """vec_row -> chunk_key for committed chunks passing the filters (first chunk per row)."""
    chunks, documents = schema.chunks.c, schema.documents.c
    query = select(chunks.vec_row, chunks.chunk_key).join_from(
        schema.chunks, schema.documents, documents.doc_key == chunks.doc_key
    ).where(where)
    if rows is not None:
        query = query.where(chunks.vec_row.in_(rows))
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
    ).join_from(schema.chunks, schema.documents, documents.doc_key == chunks.doc_key).where(chunks.chunk_key.in_(keys))
    return list(conn.execute(query))


def _candidate(row: Any, keyword: dict[int, float], scores: np.ndarray | None) -> Candidate:
    vector_score = float(scores[row.vec_row]) if scores is not None and row.vec_row < len(scores) else None
    return Candidate(
        source=row.source, doc_id=row.doc_id, ordinal=row.ordinal, title=row.title, link=row.link,
        metadata=row.metadata or {}, text=row.text, keyword_score=keyword.get(row.chunk_key), vector_score=vector_score,
    )
