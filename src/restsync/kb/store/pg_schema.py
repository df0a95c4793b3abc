"""The PostgreSQL store's tables: the embedded store's relational tables as they are, and a
chunk table that holds each chunk's vector itself (float32 bytes) instead of a row number in a
vector file. One schema per knowledge base; the tables carry no schema name, the store's
connections map them onto its own (`schema_translate_map`)."""

from __future__ import annotations

import re

import xxhash
from sqlalchemy import Column, Index, LargeBinary, MetaData, Table, text
from sqlalchemy.engine import Connection

from restsync.kb.store import schema

metadata = MetaData()
for _table in (schema.meta, schema.sources, schema.documents, schema.doc_meta, schema.runs, schema.state):
    _table.to_metadata(metadata)

chunks = Table(
    "chunks",
    metadata,
    *schema.chunk_columns(),
    Column("vector", LargeBinary, nullable=False),  # float32, little-endian, unit length
    Index("ix_chunks_doc", "doc_key", "ordinal"),
    Index("ix_chunks_hash", "embed_hash"),
)

# Serial columns whose sequences a copy with explicit keys must move past the highest key.
SERIAL_COLUMNS = [("documents", "doc_key"), ("chunks", "chunk_key"), ("sync_runs", "id")]


def advance_sequence(conn: Connection, table: str, column: str) -> None:
    """After rows were copied in with their keys: the serial `column` of `table` (schema-qualified
    where needed) continues after its highest value, so new rows never collide with copied ones."""
    conn.execute(text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                      f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"),
                 {"table": table, "column": column})

_MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names


def schema_name(name: str) -> str:
    """The schema of the knowledge base called `name`: readable, and distinct for distinct
    names (a hash of the exact name follows the cleaned-up part)."""
    if not name or not name.strip():
        raise ValueError("a knowledge base stored in PostgreSQL needs a name")
    readable = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    suffix = xxhash.xxh64_hexdigest(name.encode("utf-8"))[:12]
    return f"kb_{readable[:_MAX_IDENTIFIER - 4 - len(suffix)]}_{suffix}"
