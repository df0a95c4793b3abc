"""Relational schema (SQLAlchemy Core), portable to PostgreSQL; the FTS5 index is SQLite's."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

meta = Table("kb_meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))

sources = Table(
    "sources",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("config", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("doc_key", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("doc_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("link", Text),
    Column("metadata", JSON, nullable=False),
    Column("updated_at", String(40)),
    Column("content_hash", String(32), nullable=False),
    Column("last_seen_run", Integer),
    # The full listing that first missed this document (NULL: seen by the latest run that listed
    # it). A sync deletes a document only when a second complete listing misses it too.
    Column("missing_since_run", Integer),
    UniqueConstraint("source", "doc_id", name="uq_documents_source_doc"),
    Index("ix_documents_seen", "source", "last_seen_run"),
)

# One row per scalar metadata value (per element for lists): what filters query.
doc_meta = Table(
    "doc_meta",
    metadata,
    Column("doc_key", Integer, ForeignKey("documents.doc_key", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("text_value", Text, nullable=False),
    Column("num_value", Float),
    Index("ix_doc_meta_text", "key", "text_value", "doc_key"),
    Index("ix_doc_meta_num", "key", "num_value", "doc_key"),
    Index("ix_doc_meta_doc", "doc_key", "key"),
)

CHUNK_MAP_INDEX = "ix_chunks_map"


def chunk_columns() -> list[Column]:
    """The columns of a chunk in every store, whatever holds its vector (new objects for each
    table: a column belongs to one). Copies between stores rely on them matching."""
    return [
        Column("chunk_key", Integer, primary_key=True, autoincrement=True),
        Column("doc_key", Integer, ForeignKey("documents.doc_key", ondelete="CASCADE"), nullable=False),
        Column("ordinal", Integer, nullable=False),
        Column("title", Text, nullable=False),  # denormalised: the keyword index weighs it
        Column("text", Text, nullable=False),
        Column("embed_hash", String(32), nullable=False),
    ]


chunks = Table(
    "chunks",
    metadata,
    *chunk_columns(),
    Column("vec_row", Integer, nullable=False),  # row in the vector file
    # Covers the chunk map search loads (chunk_key is the rowid) and lookups by document.
    Index(CHUNK_MAP_INDEX, "doc_key", "vec_row"),
    Index("ix_chunks_hash", "embed_hash"),
    Index("ix_chunks_vec_row", "vec_row"),
)

runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("mode", String(40), nullable=False),
    Column("status", String(40), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("counts", JSON, nullable=False, default=dict),
    Column("error", Text),
    Column("watermark", Text),
    Index("ix_runs_source", "source", "id"),
)

state = Table(
    "sync_state",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", JSON),
)

# External-content FTS5 over chunks(title, text), kept in step by triggers inside the
# same transaction as the chunk rows, so keyword search never sees half a document.
FTS_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5("
    "title, text, content='chunks', content_rowid='chunk_key', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN "
    "INSERT INTO chunks_fts(rowid, title, text) VALUES (new.chunk_key, new.title, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN "
    "INSERT INTO chunks_fts(chunks_fts, rowid, title, text) VALUES ('delete', old.chunk_key, old.title, old.text); END",
]

# Knowledge bases created before an index existed get it on open.
UPGRADE_DDL = [f"CREATE INDEX IF NOT EXISTS {CHUNK_MAP_INDEX} ON chunks (doc_key, vec_row)"]

# Columns added after knowledge bases were first created: (table, column, SQL type), added on open
# when missing (SQLite has no ADD COLUMN IF NOT EXISTS).
UPGRADE_COLUMNS = [("documents", "missing_since_run", "INTEGER")]
