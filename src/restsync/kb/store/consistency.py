"""Is every chunk's vector in the vector file, and if not, put it back.

Chunks name their row in the vector file. A file truncated or deleted behind the database's back
(a restore from an older backup, a copy cut short) leaves chunks pointing past its end; appending
then would hand those row numbers to new vectors, and old chunks would silently score with other
documents' vectors. The check is two indexed queries; the repair re-embeds each missing row from
its chunk's stored title and text (exactly what was embedded the first time) and points the
chunks at the appended rows, inside the caller's write transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from sqlalchemy import Connection, bindparam, func, insert, select, update

from restsync.errors import DamagedKnowledgeBaseError
from restsync.kb.chunking import embedding_text
from restsync.kb.store import schema
from restsync.kb.store.base import VectorHealth
from restsync.kb.store.chunk_map import bump_generation
from restsync.kb.store.vectors import VectorFile

_REPAIR_BATCH = 256  # texts per embedding call while repairing


def vector_health(conn: Connection, vectors: VectorFile) -> VectorHealth:
    chunks = schema.chunks.c
    highest = conn.scalar(select(func.max(chunks.vec_row)))
    needed = 0 if highest is None else int(highest) + 1
    rows = vectors.rows()
    missing = 0
    if needed > rows:
        missing = conn.scalar(select(func.count()).select_from(schema.chunks).where(chunks.vec_row >= rows)) or 0
    return VectorHealth(rows_in_file=rows, rows_referenced=needed, chunks_missing=int(missing), path=str(vectors.path))


def damaged_vectors(directory: Path, health: VectorHealth) -> DamagedKnowledgeBaseError:
    return DamagedKnowledgeBaseError(
        f"the vector file {health.path} lacks the vectors of {health.chunks_missing} chunks "
        f"(it holds {health.rows_in_file} rows, the chunks use {health.rows_referenced}): it was truncated or deleted; "
        f"sync any source into {directory} to re-embed them from the stored text"
    )


def repair_missing_vectors(conn: Connection, vectors: VectorFile, embed: Callable[[list[str]], np.ndarray]) -> int:
    """Inside a write transaction: re-embed every missing row once (chunks of equal text share a
    row) and point its chunks at the new row; returns how many texts were embedded."""
    chunks = schema.chunks.c
    present = vectors.rows()
    keys_by_row: dict[int, list[int]] = {}
    for chunk_key, vec_row in conn.execute(select(chunks.chunk_key, chunks.vec_row).where(chunks.vec_row >= present)):
        keys_by_row.setdefault(vec_row, []).append(chunk_key)
    if not keys_by_row:
        return 0
    old_rows = sorted(keys_by_row)
    # Keyed by chunk, not by old row: a new row number may equal an old one not yet remapped.
    remap: list[dict[str, int]] = []
    for start in range(0, len(old_rows), _REPAIR_BATCH):
        batch = old_rows[start : start + _REPAIR_BATCH]
        firsts = [keys_by_row[row][0] for row in batch]
        texts = {
            key: embedding_text(title, text)
            for key, title, text in conn.execute(
                select(chunks.chunk_key, chunks.title, chunks.text).where(chunks.chunk_key.in_(firsts))
            )
        }
        first = vectors.append(np.asarray(embed([texts[key] for key in firsts]), dtype=np.float32))
        for offset, row in enumerate(batch):
            remap += [{"key": key, "row": first + offset} for key in keys_by_row[row]]
    conn.execute(update(schema.chunks).where(chunks.chunk_key == bindparam("key")).values(vec_row=bindparam("row")), remap)
    bump_generation(conn)
    meta = schema.meta.c
    if conn.scalar(select(meta.value).where(meta.key == "vector_dim")) is None:
        conn.execute(insert(schema.meta).values(key="vector_dim", value=str(vectors.dimension)))
    return len(old_rows)
