"""Metadata filters and source lists as one boolean mask over doc_keys, computed once per
query: each filter is one aggregate over a covering index of `doc_meta` (~5 ms for a
filter half the documents pass at 100k, under 1 ms for a 5% one), combined in numpy."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from sqlalchemy import Connection, func, select

from restsync.kb.filters import Filter
from restsync.kb.store.chunk_map import parse_integers
from restsync.kb.store.schema import doc_meta, documents
from restsync.kb.store.sql_filters import value_condition


def allowed_documents(
    conn: Connection, filters: Sequence[Filter], sources: Sequence[str] | None, doc_space: int
) -> np.ndarray | None:
    """mask[doc_key] is True for documents passing every filter and in `sources`;
    None when nothing restricts the search. doc_keys >= doc_space (documents without
    chunks) are left out: there is nothing of theirs to find."""
    if not filters and sources is None:
        return None
    allowed = np.ones(doc_space, dtype=bool)
    for item in filters:
        matched = _mask_of(conn, select(func.group_concat(doc_meta.c.doc_key)).where(doc_meta.c.key == item.key, value_condition(item)), doc_space)
        # `!=` keeps documents where no value equals it, documents without the key included.
        allowed &= ~matched if item.op == "!=" else matched
    if sources is not None:
        in_sources = select(func.group_concat(documents.c.doc_key)).where(documents.c.source.in_(list(sources)))
        allowed &= _mask_of(conn, in_sources, doc_space)
    return allowed


def _mask_of(conn: Connection, query: Any, doc_space: int) -> np.ndarray:
    keys = parse_integers(conn.scalar(query))
    mask = np.zeros(doc_space, dtype=bool)
    mask[keys[keys < doc_space]] = True
    return mask
