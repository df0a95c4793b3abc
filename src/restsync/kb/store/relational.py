"""What every SQL store shares: sources, documents and their metadata rows, change detection,
pruning, runs, state and the settings rows, through SQLAlchemy Core on the tables of `schema`.

A store says how it opens transactions (`_read`, `_write`) and how it keeps vectors (the hooks
at the end: a row in a vector file for SQLite, the vector itself in the chunk row for
PostgreSQL); everything else is the same SQL on either database. The copy between stores
(`restsync migrate`) reads and writes the tables as they are, keys and run ids included.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable, Sequence

import numpy as np
from sqlalchemy import Connection, Table, and_, case, delete, exists, func, insert, select, update

from restsync.kb.filters import metadata_rows
from restsync.kb.store import schema
from restsync.kb.store.base import ChunkRecord, DocumentRecord, Keep
from restsync.kb.types import DocumentInfo, RunInfo, SourceInfo, StoredDocument

BATCH = 500  # rows per IN (...) list: well under SQLite's variable limit
# Tables copied row for row between stores; documents, doc_meta and chunks go by pages.
SMALL_TABLES = {"kb_meta": schema.meta, "sources": schema.sources, "sync_runs": schema.runs, "sync_state": schema.state}
# chunk key -> the columns holding its vector in this store's chunk row
VectorColumns = Callable[[str], dict[str, Any]]


class RelationalStore:
    chunks: Table  # the store's own chunk table (its vector columns differ)

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    # -- meta and sources ----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == key))

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            self._replace_row(conn, schema.meta, {"key": key}, {"value": value})

    def put_source(self, name: str, config: dict[str, Any], now: float) -> None:
        with self._write() as conn:
            updated = conn.execute(
                update(schema.sources).where(schema.sources.c.name == name).values(config=config, updated_at=now)
            )
            if not updated.rowcount:
                conn.execute(insert(schema.sources).values(name=name, config=config, created_at=now, updated_at=now))

    def get_source(self, name: str) -> dict[str, Any] | None:
        with self._read() as conn:
            return conn.scalar(select(schema.sources.c.config).where(schema.sources.c.name == name))

    def list_sources(self) -> list[SourceInfo]:
        counts = (
            select(schema.documents.c.source, func.count().label("n")).group_by(schema.documents.c.source).subquery()
        )
        query = (
            select(schema.sources, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.source == schema.sources.c.name)
            .order_by(schema.sources.c.name)
        )
        with self._read() as conn:
            return [SourceInfo(row.name, row.config, row[-1], row.created_at, row.updated_at) for row in conn.execute(query)]

    def delete_source(self, name: str) -> int:
        with self._write() as conn:
            doc_keys = select(schema.documents.c.doc_key).where(schema.documents.c.source == name)
            deleted = self._delete_documents(conn, doc_keys)
            conn.execute(delete(schema.sources).where(schema.sources.c.name == name))
            conn.execute(delete(schema.state).where(schema.state.c.source == name))
        return deleted

    # -- documents -------------------------------------------------------------------------
    def content_hashes(self, source: str, doc_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        documents = schema.documents.c
        with self._read() as conn:
            for start in range(0, len(doc_ids), BATCH):
                batch = list(doc_ids[start : start + BATCH])
                query = select(documents.doc_id, documents.content_hash).where(
                    documents.source == source, documents.doc_id.in_(batch)
                )
                found.update((row.doc_id, row.content_hash) for row in conn.execute(query))
        return found

    def write_documents(
        self, source: str, run_id: int, changed: Sequence[DocumentRecord], unchanged_ids: Sequence[str]
    ) -> None:
        documents = schema.documents.c
        with self._write() as conn:
            vector_columns = self._vector_columns(
                conn, {chunk.embed_hash: chunk.vector for record in changed for chunk in record.chunks}
            )
            for start in range(0, len(unchanged_ids), BATCH):
                conn.execute(
                    update(schema.documents)
                    .where(documents.source == source, documents.doc_id.in_(list(unchanged_ids[start : start + BATCH])))
                    .values(last_seen_run=run_id, missing_since_run=None)
                )
            if not changed:
                return
            changed_ids = [record.doc_id for record in changed]
            for start in range(0, len(changed_ids), BATCH):
                old = select(documents.doc_key).where(
                    documents.source == source, documents.doc_id.in_(changed_ids[start : start + BATCH])
                )
                self._delete_documents(conn, old)
            self._documents_changing(conn)
            document_rows, meta_rows, chunk_rows = [], [], []
            for doc_key, record in zip(self._new_doc_keys(conn, len(changed)), changed):
                document_rows.append({
                    "doc_key": doc_key, "source": source, "doc_id": record.doc_id, "title": record.title,
                    "link": record.link, "metadata": record.metadata, "updated_at": record.updated_at,
                    "content_hash": record.content_hash, "last_seen_run": run_id, "missing_since_run": None,
                })
                meta_rows += [
                    {"doc_key": doc_key, "key": key, "text_value": text, "num_value": number}
                    for key, text, number in metadata_rows(record.metadata)
                ]
                chunk_rows += [
                    {"doc_key": doc_key, "ordinal": chunk.ordinal, "title": record.title, "text": chunk.text,
                     "embed_hash": chunk.embed_hash, **vector_columns(chunk.embed_hash)}
                    for chunk in record.chunks
                ]
            self._insert_all(conn, document_rows, meta_rows, chunk_rows)

    def count_unseen(self, source: str, run_id: int, keep: Keep | None = None, *, marked: bool = False) -> tuple[int, int]:
        documents = schema.documents.c
        unseen = case((and_(*unseen_conditions(run_id, keep, marked)), 1), else_=0)
        with self._read() as conn:
            total, unseen_count = conn.execute(
                select(func.count(), func.coalesce(func.sum(unseen), 0)).where(documents.source == source)
            ).one()
        return int(unseen_count), int(total)

    def mark_missing(self, source: str, run_id: int, keep: Keep | None = None) -> int:
        documents = schema.documents.c
        with self._write() as conn:
            marked = conn.execute(
                update(schema.documents)
                .where(documents.source == source, documents.missing_since_run.is_(None), *unseen_conditions(run_id, keep))
                .values(missing_since_run=run_id)
            ).rowcount
        return int(marked or 0)

    def unseen_ids(self, source: str, run_id: int, keep: Keep | None = None, *, marked: bool = False) -> list[str]:
        documents = schema.documents.c
        query = select(documents.doc_id).where(documents.source == source, *unseen_conditions(run_id, keep, marked))
        with self._read() as conn:
            return list(conn.scalars(query))

    def delete_unseen(self, source: str, run_id: int, keep: Keep | None = None, *, marked: bool = False) -> int:
        documents = schema.documents.c
        unseen = select(documents.doc_key).where(documents.source == source, *unseen_conditions(run_id, keep, marked))
        with self._write() as conn:
            return self._delete_documents(conn, unseen)

    def list_documents(
        self, source: str | None, offset: int, limit: int, title_contains: str | None, doc_id: str | None
    ) -> tuple[list[DocumentInfo], int]:
        documents = schema.documents.c
        conditions = []
        if source is not None:
            conditions.append(documents.source == source)
        if doc_id is not None:
            conditions.append(documents.doc_id == doc_id)
        if title_contains:
            conditions.append(documents.title.contains(title_contains, autoescape=True))
        chunk_counts = select(self.chunks.c.doc_key, func.count().label("n")).group_by(self.chunks.c.doc_key).subquery()
        query = (
            select(schema.documents, func.coalesce(chunk_counts.c.n, 0))
            .outerjoin(chunk_counts, chunk_counts.c.doc_key == documents.doc_key)
            .where(*conditions).order_by(documents.title, documents.doc_key).offset(offset).limit(limit)
        )
        with self._read() as conn:
            total = conn.scalar(select(func.count()).select_from(schema.documents).where(*conditions)) or 0
            rows = [
                DocumentInfo(r.source, r.doc_id, r.title, r.link, r.metadata or {}, r.updated_at, r[-1])
                for r in conn.execute(query)
            ]
        return rows, total

    def count_documents(self, source: str | None = None) -> int:
        query = select(func.count()).select_from(schema.documents)
        if source is not None:
            query = query.where(schema.documents.c.source == source)
        with self._read() as conn:
            return conn.scalar(query) or 0

    def count_chunks(self) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(self.chunks)) or 0

    def get_document(self, doc_id: str, source: str | None = None) -> StoredDocument | None:
        docs = schema.documents.c
        query = select(schema.documents).where(docs.doc_id == doc_id).order_by(docs.source).limit(1)
        if source is not None:
            query = query.where(docs.source == source)
        with self._read() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            texts = conn.scalars(
                select(self.chunks.c.text).where(self.chunks.c.doc_key == row.doc_key).order_by(self.chunks.c.ordinal)
            ).all()
        return StoredDocument(row.source, row.doc_id, row.title, row.link, row.metadata or {}, row.updated_at, tuple(texts))

    def export_records(self, after_key: int, limit: int) -> tuple[list[tuple[str, DocumentRecord]], int]:
        """Up to `limit` whole documents (source, record with chunks and vectors) with a key above
        `after_key`, and the last key read (for the next page): what a copy to another index reads."""
        rows, _, chunk_rows, last = self.export_documents(after_key, limit)
        records = {row["doc_key"]: (row["source"], DocumentRecord(row["doc_id"], row["title"], row["link"],
                                                                  row["metadata"] or {}, row["updated_at"],
                                                                  row["content_hash"])) for row in rows}
        for row in chunk_rows:
            records[row["doc_key"]][1].chunks.append(ChunkRecord(row["ordinal"], row["text"], row["embed_hash"], row["vector"]))
        return list(records.values()), last

    # -- copying between stores ----------------------------------------------------------------
    def export_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of a small table (`SMALL_TABLES`), as it is stored."""
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(select(SMALL_TABLES[table]))]

    def import_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Rows exported by another store (keys and run ids kept), in one transaction."""
        with self._write() as conn:
            for row in rows:
                key = {column.name: row[column.name] for column in SMALL_TABLES[table].primary_key.columns}
                self._replace_row(conn, SMALL_TABLES[table], key, {k: v for k, v in row.items() if k not in key})
            self._after_import(conn)

    def export_documents(self, after_key: int, limit: int) -> tuple[list[dict], list[dict], list[dict], int]:
        """Documents with a key above `after_key` (at most `limit`), their metadata rows and their
        chunks with each chunk's `vector`, and the last key read."""
        documents = schema.documents.c
        chunks = self.chunks.c
        with self._read() as conn:
            rows = [dict(row._mapping) for row in conn.execute(
                select(schema.documents).where(documents.doc_key > after_key).order_by(documents.doc_key).limit(limit))]
            if not rows:
                return [], [], [], after_key
            low, high = rows[0]["doc_key"], rows[-1]["doc_key"]
            metas = [dict(row._mapping) for row in conn.execute(
                select(schema.doc_meta).where(schema.doc_meta.c.doc_key.between(low, high)))]
            chunk_rows = [dict(row._mapping) for row in conn.execute(
                select(chunks.doc_key, chunks.ordinal, chunks.title, chunks.text, chunks.embed_hash, self._vector_column())
                .where(chunks.doc_key.between(low, high)).order_by(chunks.doc_key, chunks.ordinal))]
            vectors = self._decode_vectors(conn, [row.pop("vector_ref") for row in chunk_rows])
        for row, vector in zip(chunk_rows, vectors):
            row["vector"] = vector
        return rows, metas, chunk_rows, high

    def import_documents(self, rows: list[dict], metas: list[dict], chunk_rows: list[dict]) -> None:
        """A page from `export_documents` of another store, keys and seen-marks kept, in one transaction."""
        with self._write() as conn:
            vector_columns = self._vector_columns(conn, {row["embed_hash"]: row["vector"] for row in chunk_rows})
            self._documents_changing(conn)
            chunks = [{**{k: v for k, v in row.items() if k != "vector"}, **vector_columns(row["embed_hash"])}
                      for row in chunk_rows]
            self._insert_all(conn, rows, metas, chunks)
            self._after_import(conn)

    # -- runs and state ----------------------------------------------------------------------
    def start_run(self, source: str, mode: str, started_at: float) -> int:
        with self._write() as conn:
            values = {"source": source, "mode": mode, "status": "running", "started_at": started_at, "counts": {}}
            return int(conn.execute(insert(schema.runs).values(**values)).inserted_primary_key[0])

    def finish_run(
        self, run_id: int, status: str, counts: dict[str, Any], error: str | None, watermark: str | None, finished_at: float
    ) -> None:
        values = {"status": status, "counts": counts, "error": error, "watermark": watermark, "finished_at": finished_at}
        with self._write() as conn:
            conn.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(**values))

    def list_runs(self, source: str | None, limit: int) -> list[RunInfo]:
        query = select(schema.runs).order_by(schema.runs.c.id.desc()).limit(limit)
        if source is not None:
            query = query.where(schema.runs.c.source == source)
        with self._read() as conn:
            return [
                RunInfo(r.id, r.source, r.mode, r.status, r.started_at, r.finished_at, r.counts or {}, r.error, r.watermark)
                for r in conn.execute(query)
            ]

    def get_state(self, source: str, key: str) -> Any | None:
        state = schema.state.c
        with self._read() as conn:
            return conn.scalar(select(state.value).where(state.source == source, state.key == key))

    def set_state(self, source: str, key: str, value: Any) -> None:
        with self._write() as conn:
            self._replace_row(conn, schema.state, {"source": source, "key": key}, {"value": value})

    # -- internals -----------------------------------------------------------------------------
    def _delete_documents(self, conn: Connection, doc_keys_query: Any) -> int:
        """Delete documents with their chunks and metadata; returns how many."""
        doc_keys = list(conn.scalars(doc_keys_query))
        if doc_keys:
            self._documents_changing(conn)
        for start in range(0, len(doc_keys), BATCH):
            batch = doc_keys[start : start + BATCH]
            self._releasing_chunks(conn, batch)
            conn.execute(delete(self.chunks).where(self.chunks.c.doc_key.in_(batch)))
            conn.execute(delete(schema.doc_meta).where(schema.doc_meta.c.doc_key.in_(batch)))
            conn.execute(delete(schema.documents).where(schema.documents.c.doc_key.in_(batch)))
        return len(doc_keys)

    def _insert_all(self, conn: Connection, documents: list[dict], metas: list[dict], chunks: list[dict]) -> None:
        for table, rows in ((schema.documents, documents), (schema.doc_meta, metas), (self.chunks, chunks)):
            if rows:
                conn.execute(insert(table), rows)

    @staticmethod
    def _replace_row(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
        conn.execute(delete(table).where(*(table.c[name] == value for name, value in key.items())))
        conn.execute(insert(table).values(**key, **values))

    # -- what each store does its own way ------------------------------------------------------
    def _vector_columns(self, conn: Connection, vectors: dict[str, np.ndarray]) -> VectorColumns:
        """Inside the write: store these vectors (by embed hash) and say how a chunk row refers to each."""
        raise NotImplementedError

    def _vector_column(self) -> Any:
        """The chunk column (labelled `vector_ref`) from which `_decode_vectors` reads vectors."""
        raise NotImplementedError

    def _decode_vectors(self, conn: Connection, refs: list[Any]) -> Sequence[np.ndarray]:
        raise NotImplementedError

    def _new_doc_keys(self, conn: Connection, count: int) -> list[int]:
        """Keys for `count` new documents, so all rows go in as bulk inserts."""
        raise NotImplementedError

    def _documents_changing(self, conn: Connection) -> None:
        """Called inside a write that changes documents or chunks."""

    def _releasing_chunks(self, conn: Connection, doc_keys: list[int]) -> None:
        """Called before the chunks of these documents are deleted."""

    def _after_import(self, conn: Connection) -> None:
        """Called after rows were copied in with their keys (sequences may need moving on)."""


def unseen_conditions(run_id: int, keep: Keep | None, marked: bool = False) -> list[Any]:
    """Conditions selecting documents run `run_id` did not see (and a prune need not keep);
    `marked`: only those an earlier complete listing already missed."""
    documents = schema.documents.c
    conditions = [func.coalesce(documents.last_seen_run, -1) != run_id, *_not_kept(keep)]
    if marked:
        conditions += [documents.missing_since_run.is_not(None), documents.missing_since_run != run_id]
    return conditions


def _not_kept(keep: Keep | None) -> list[Any]:
    """Conditions leaving out documents a prune must keep (metadata `key` in the listed values)."""
    meta = schema.doc_meta.c
    return [
        ~exists().where(meta.doc_key == schema.documents.c.doc_key, meta.key == key, meta.text_value.in_(list(values)))
        for key, values in (keep or {}).items() if values
    ]
