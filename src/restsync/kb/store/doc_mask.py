"""Metadata filters and source lists as one boolean mask over doc_keys.

Each filter is one aggregate over a covering index of `doc_meta` (~5 ms for a filter half
of 100k documents pass, under 1 ms for a 5% one), combined in numpy. Masks of recent filter
sets are kept per store generation (see `chunk_map`), so a repeated filter costs nothing
until the next write; a mask is one byte per document.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable, Sequence

import numpy as np
from sqlalchemy import Connection, func, select

from restsync.kb.filters import Filter
from restsync.kb.store.chunk_map import ChunkMap, parse_integers
from restsync.kb.store.schema import doc_meta, documents
from restsync.kb.store.sql_filters import value_condition

_CACHED_MASKS = 32


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
        having = select(func.group_concat(doc_meta.c.doc_key)).where(doc_meta.c.key == item.key, value_condition(item))
        matched = _mask_of(conn, having, doc_space)
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


class DocumentMaskCache:
    """The masks of the most recently used filter sets, each for the generation it was
    computed at (a search at another generation computes its own)."""

    def __init__(self, size: int = _CACHED_MASKS) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._masks: OrderedDict[Hashable, np.ndarray | None] = OrderedDict()

    def get(
        self, conn: Connection, chunk_map: ChunkMap, filters: Sequence[Filter], sources: Sequence[str] | None
    ) -> np.ndarray | None:
        if not filters and sources is None:
            return None
        key = _cache_key(chunk_map.generation, filters, sources)
        if key is not None:
            with self._lock:
                if key in self._masks:
                    self._masks.move_to_end(key)
                    return self._masks[key]
        mask = allowed_documents(conn, filters, sources, chunk_map.doc_space)
        assert mask is not None
        if key is not None:
            mask.flags.writeable = False  # shared by concurrent searches
            with self._lock:
                self._masks[key] = mask
                while len(self._masks) > self._size:
                    self._masks.popitem(last=False)
        return mask


def _cache_key(generation: int, filters: Sequence[Filter], sources: Sequence[str] | None) -> Hashable | None:
    key = (generation, tuple(filters), None if sources is None else tuple(sources))
    try:
        hash(key)
    except TypeError:  # a filter built with a list value: computed every time
        return None
    return key
