"""The embedded store's vectors by row of the vector file: which row each embed hash has,
appending the vectors of new texts, and zeroing rows no chunk uses any more.

Chunks of equal text share one row (the embedding cache). Rows are appended inside the
database's write transaction (durably, before it commits), and released rows are zeroed only
after the commit that stopped referencing them, still under the write lock, so no writer can
start using them meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from sqlalchemy import Connection, func, insert, select

from restsync.kb.store import schema
from restsync.kb.store.consistency import damaged_vectors, vector_health
from restsync.kb.store.relational import BATCH
from restsync.kb.store.vectors import VectorFile

RELEASED = "restsync_released_vector_rows"  # conn.info key: rows a write transaction released


def rows_for_hashes(conn: Connection, embed_hashes: Sequence[str]) -> dict[str, int]:
    chunks = schema.chunks.c
    rows: dict[str, int] = {}
    unique = list(dict.fromkeys(embed_hashes))
    for start in range(0, len(unique), BATCH):
        query = select(chunks.embed_hash, func.min(chunks.vec_row)).where(
            chunks.embed_hash.in_(unique[start : start + BATCH])
        ).group_by(chunks.embed_hash)
        rows.update((embed_hash, row) for embed_hash, row in conn.execute(query))
    return rows


def rows_for_vectors(conn: Connection, vectors: VectorFile, wanted: dict[str, np.ndarray], directory: Path) -> dict[str, int]:
    """Row per embed hash: shared with live chunks of the same text, else appended now."""
    health = vector_health(conn, vectors)
    if health.chunks_missing:  # appending now would hand the missing rows to new chunks
        raise damaged_vectors(directory, health)
    rows = rows_for_hashes(conn, list(wanted))
    missing = [embed_hash for embed_hash in wanted if embed_hash not in rows]
    if missing:
        first = vectors.append(np.vstack([wanted[embed_hash] for embed_hash in missing]))
        rows.update((embed_hash, first + offset) for offset, embed_hash in enumerate(missing))
        meta = schema.meta.c
        if conn.scalar(select(meta.value).where(meta.key == "vector_dim")) is None:
            conn.execute(insert(schema.meta).values(key="vector_dim", value=str(vectors.dimension)))
    return rows


def release_rows_of(conn: Connection, doc_keys: list[int]) -> None:
    """Inside a write, before these documents' chunks are deleted: their rows, to zero after the commit."""
    conn.info[RELEASED].extend(conn.scalars(select(schema.chunks.c.vec_row).where(schema.chunks.c.doc_key.in_(doc_keys))))


def zero_unreferenced(conn: Connection, vectors: VectorFile, rows: list[int]) -> None:
    """After the commit: zero the released rows no chunk uses (rows shared with surviving
    chunks of the same text stay)."""
    candidates = sorted(set(rows))
    live: set[int] = set()
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        live.update(conn.scalars(select(schema.chunks.c.vec_row).where(schema.chunks.c.vec_row.in_(batch))))
    conn.commit()  # end the autobegun read
    vectors.zero([row for row in candidates if row not in live])
