"""The embedded store: SQLite (WAL) through SQLAlchemy Core, FTS5 for BM25, and a
memory-mapped vector file, all inside one knowledge-base directory."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import quote

import numpy as np
from sqlalchemy import Connection, and_, case, create_engine, delete, event, exists, func, insert, select, update
from sqlalchemy.pool import QueuePool

from restsync.document import json_safe
from restsync.errors import DamagedKnowledgeBaseError, KnowledgeBaseError
from restsync.kb.filters import metadata_rows
from restsync.kb.store import schema
from restsync.kb.store.base import Candidate, ChunkRecord, DocumentRecord, Keep, SearchRequest, VectorHealth
from restsync.kb.store.chunk_map import bump_generation
from restsync.kb.store.consistency import damaged_vectors, repair_missing_vectors, vector_health
from restsync.kb.store.failures import read_only as read_only_error
from restsync.kb.store.failures import translated
from restsync.kb.store.locks import SourceLock
from restsync.kb.store.search import SearchCaches, search_candidates
from restsync.kb.store.vectors import VectorFile
from restsync.kb.types import DocumentInfo, RunInfo, SourceInfo, StoredDocument

DATABASE_FILE = "kb.sqlite"
VECTOR_FILE = "vectors.f32"
_BATCH = 500  # rows per IN (...) list: well under SQLite's variable limit
_RELEASED = "restsync_released_vector_rows"


class SqliteStore:
    def __init__(self, directory: Path, *, read_only: bool = False):
        """`read_only`: never writes (search, status); works on a read-only directory or mount."""
        self.directory = directory
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._database = directory / DATABASE_FILE
        _check_files(directory, self._database, directory / VECTOR_FILE, read_only)
        self._uri = _read_only_uri(self._database) if read_only else None
        self._engine = self._create_engine()
        try:
            if not read_only:
                with self._write() as conn:
                    schema.metadata.create_all(conn)
                    for statement in [*schema.FTS_DDL, *schema.UPGRADE_DDL]:
                        conn.exec_driver_sql(statement)
            dimension = self._probe()
        except BaseException:
            self._engine.dispose()
            raise
        self.vectors = VectorFile(directory / VECTOR_FILE, int(dimension) if dimension else None, read_only=read_only)
        self._search_caches = SearchCaches()
        # The vector leg of each search runs here while the calling thread ranks keywords.
        self._vector_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-vectors")

    def _create_engine(self) -> Any:
        engine = create_engine(
            "sqlite://",
            creator=self._connect,
            poolclass=QueuePool,
            pool_size=4,
            # JSON has no NaN or Infinity: such numbers are stored as the document contract writes them.
            json_serializer=lambda value: json.dumps(json_safe(value), default=str, ensure_ascii=False, allow_nan=False),
        )
        event.listen(engine, "connect", functools.partial(_configure_connection, read_only=self.read_only))
        event.listen(engine, "begin", _begin)
        return engine

    def _connect(self) -> sqlite3.Connection:
        if self._uri is None:
            return sqlite3.connect(str(self._database), check_same_thread=False, timeout=30)
        return sqlite3.connect(self._uri, uri=True, check_same_thread=False, timeout=30)

    def _probe(self) -> str | None:
        """The first read: proves the file is a knowledge base and gives the vector dimension.
        Read-only, a WAL database whose directory cannot hold its -shm file opens immutable."""
        try:
            with self._read() as conn:
                return self.get_meta_in(conn, "vector_dim")
        except KnowledgeBaseError:
            if self._uri is None or "immutable=1" in self._uri:
                raise
        self._engine.dispose()
        self._uri = _uri(self._database, "immutable=1")
        self._engine = self._create_engine()
        with self._read() as conn:
            return self.get_meta_in(conn, "vector_dim")

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction: every query inside sees one snapshot (WAL)."""
        with translated(self.directory, DATABASE_FILE), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self.read_only:
            raise read_only_error(self.directory, "opened read-only")
        with translated(self.directory, DATABASE_FILE), self._write_lock, self._engine.connect() as conn:
            conn.execution_options(kb_write=True)
            conn.info[_RELEASED] = []
            try:
                with conn.begin():
                    yield conn
                if conn.info[_RELEASED]:
                    self._zero_unreferenced(conn, conn.info[_RELEASED])
            finally:
                conn.info.pop(_RELEASED, None)

    def _learn_dimension(self, conn: Connection | None = None) -> None:
        """A handle opened on an empty knowledge base learns the dimension another one wrote."""
        if self.vectors.dimension is not None:
            return
        if conn is not None:
            dimension = self.get_meta_in(conn, "vector_dim")
        else:
            dimension = self.get_meta("vector_dim")
        if dimension:
            self.vectors.dimension = int(dimension)

    # -- vector file consistency ----------------------------------------------------------
    def vector_health(self) -> VectorHealth:
        with self._read() as conn:
            return self._vector_health(conn)

    def _vector_health(self, conn: Connection) -> VectorHealth:
        self._learn_dimension(conn)
        return vector_health(conn, self.vectors)

    def repair_vectors(self, embed: Callable[[list[str]], np.ndarray]) -> int:
        """Re-embed the chunks whose vectors the file lacks, in one write transaction (so no
        writer appends over the gap meanwhile); returns how many texts were embedded."""
        with self._write() as conn:
            self._learn_dimension(conn)
            return repair_missing_vectors(conn, self.vectors, embed)

    # -- meta and sources ----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == key))

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(delete(schema.meta).where(schema.meta.c.key == key))
            conn.execute(insert(schema.meta).values(key=key, value=value))

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
            self._release_rows_after_commit(conn, deleted[1])
        return deleted[0]

    # -- documents -------------------------------------------------------------------------
    def content_hashes(self, source: str, doc_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        documents = schema.documents.c
        with self._read() as conn:
            for start in range(0, len(doc_ids), _BATCH):
                batch = list(doc_ids[start : start + _BATCH])
                query = select(documents.doc_id, documents.content_hash).where(
                    documents.source == source, documents.doc_id.in_(batch)
                )
                found.update((row.doc_id, row.content_hash) for row in conn.execute(query))
        return found

    def cached_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        rows = self._rows_for_hashes(embed_hashes)
        if not rows:
            return {}
        self._learn_dimension()
        matrix = self.vectors.read(list(rows.values()))
        return {embed_hash: matrix[index] for index, embed_hash in enumerate(rows)}

    def write_documents(
        self, source: str, run_id: int, changed: Sequence[DocumentRecord], unchanged_ids: Sequence[str]
    ) -> None:
        documents = schema.documents.c
        with self._write() as conn:
            vec_rows = self._vector_rows_for(conn, changed)
            for start in range(0, len(unchanged_ids), _BATCH):
                conn.execute(
                    update(schema.documents)
                    .where(documents.source == source, documents.doc_id.in_(list(unchanged_ids[start : start + _BATCH])))
                    .values(last_seen_run=run_id)
                )
            if not changed:
                return
            bump_generation(conn)
            released: list[int] = []
            changed_ids = [record.doc_id for record in changed]
            for start in range(0, len(changed_ids), _BATCH):
                old = select(documents.doc_key).where(
                    documents.source == source, documents.doc_id.in_(changed_ids[start : start + _BATCH])
                )
                released += self._delete_documents(conn, old)[1]
            # Keys assigned here (the write lock is held) so every row goes in as one bulk insert.
            next_key = (conn.scalar(select(func.max(documents.doc_key))) or 0) + 1
            document_rows, meta_rows, chunk_rows = [], [], []
            for doc_key, record in enumerate(changed, start=next_key):
                document_rows.append({
                    "doc_key": doc_key, "source": source, "doc_id": record.doc_id, "title": record.title,
                    "link": record.link, "metadata": record.metadata, "updated_at": record.updated_at,
                    "content_hash": record.content_hash, "last_seen_run": run_id,
                })
                meta_rows += [
                    {"doc_key": doc_key, "key": key, "text_value": text, "num_value": number}
                    for key, text, number in metadata_rows(record.metadata)
                ]
                chunk_rows += [
                    {
                        "doc_key": doc_key, "ordinal": chunk.ordinal, "title": record.title, "text": chunk.text,
                        "embed_hash": chunk.embed_hash, "vec_row": vec_rows[chunk.embed_hash],
                    }
                    for chunk in record.chunks
                ]
            for table, rows in ((schema.documents, document_rows), (schema.doc_meta, meta_rows), (schema.chunks, chunk_rows)):
                if rows:
                    conn.execute(insert(table), rows)
            self._release_rows_after_commit(conn, released)

    def count_unseen(self, source: str, run_id: int, keep: Keep | None = None) -> tuple[int, int]:
        documents = schema.documents.c
        unseen = case((and_(func.coalesce(documents.last_seen_run, -1) != run_id, *_not_kept(keep)), 1), else_=0)
        with self._read() as conn:
            total, unseen_count = conn.execute(
                select(func.count(), func.coalesce(func.sum(unseen), 0)).where(documents.source == source)
            ).one()
        return int(unseen_count), int(total)

    def export_records(self, after_key: int, limit: int) -> tuple[list[tuple[str, DocumentRecord]], int]:
        """Up to `limit` whole documents (source, record with chunks and vectors) with a key above
        `after_key`, and the last key read (for the next page): what a copy to another index reads."""
        documents, chunks = schema.documents.c, schema.chunks.c
        self._learn_dimension()
        with self._read() as conn:
            rows = list(conn.execute(select(schema.documents).where(documents.doc_key > after_key)
                                     .order_by(documents.doc_key).limit(limit)))
            if not rows:
                return [], after_key
            keys = [row.doc_key for row in rows]
            chunk_rows = list(conn.execute(
                select(chunks.doc_key, chunks.ordinal, chunks.text, chunks.embed_hash, chunks.vec_row)
                .where(chunks.doc_key.in_(keys)).order_by(chunks.doc_key, chunks.ordinal)))
        matrix = self.vectors.read([row.vec_row for row in chunk_rows]) if chunk_rows else None
        records = {row.doc_key: (row.source, DocumentRecord(row.doc_id, row.title, row.link, row.metadata or {},
                                                             row.updated_at, row.content_hash)) for row in rows}
        for position, row in enumerate(chunk_rows):
            records[row.doc_key][1].chunks.append(ChunkRecord(row.ordinal, row.text, row.embed_hash, matrix[position]))
        return list(records.values()), keys[-1]

    def unseen_ids(self, source: str, run_id: int, keep: Keep | None = None) -> list[str]:
        documents = schema.documents.c
        query = select(documents.doc_id).where(
            documents.source == source, func.coalesce(documents.last_seen_run, -1) != run_id, *_not_kept(keep)
        )
        with self._read() as conn:
            return list(conn.scalars(query))

    def delete_unseen(self, source: str, run_id: int, keep: Keep | None = None) -> int:
        documents = schema.documents.c
        unseen = select(documents.doc_key).where(
            documents.source == source, func.coalesce(documents.last_seen_run, -1) != run_id, *_not_kept(keep)
        )
        with self._write() as conn:
            deleted, released = self._delete_documents(conn, unseen)
            self._release_rows_after_commit(conn, released)
        return deleted

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
        chunk_counts = (
            select(schema.chunks.c.doc_key, func.count().label("n")).group_by(schema.chunks.c.doc_key).subquery()
        )
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
            return conn.scalar(select(func.count()).select_from(schema.chunks)) or 0

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
                select(schema.chunks.c.text).where(schema.chunks.c.doc_key == row.doc_key).order_by(schema.chunks.c.ordinal)
            ).all()
        return StoredDocument(row.source, row.doc_id, row.title, row.link, row.metadata or {}, row.updated_at, tuple(texts))

    def search(self, request: SearchRequest) -> list[Candidate]:
        self._learn_dimension()  # opened empty; another handle may have written since
        with self._read() as conn:
            return search_candidates(conn, self.vectors, request, self._search_caches, self._vector_pool)

    # -- runs and state ----------------------------------------------------------------------
    def start_run(self, source: str, mode: str, started_at: float) -> int:
        with self._write() as conn:
            values = {"source": source, "mode": mode, "status": "running", "started_at": started_at, "counts": {}}
            return conn.execute(insert(schema.runs).values(**values)).inserted_primary_key[0]

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
        state = schema.state.c
        with self._write() as conn:
            conn.execute(delete(schema.state).where(state.source == source, state.key == key))
            conn.execute(insert(schema.state).values(source=source, key=key, value=value))

    def lock_source(self, source: str) -> SourceLock:
        return SourceLock(self.directory, source)

    def close(self) -> None:
        self._vector_pool.shutdown(wait=True)
        self._engine.dispose()

    # -- internals -----------------------------------------------------------------------------
    def _rows_for_hashes(self, embed_hashes: Sequence[str], conn: Connection | None = None) -> dict[str, int]:
        chunks = schema.chunks.c
        rows: dict[str, int] = {}
        unique = list(dict.fromkeys(embed_hashes))

        def collect(connection: Connection) -> None:
            for start in range(0, len(unique), _BATCH):
                query = select(chunks.embed_hash, func.min(chunks.vec_row)).where(
                    chunks.embed_hash.in_(unique[start : start + _BATCH])
                ).group_by(chunks.embed_hash)
                rows.update((embed_hash, row) for embed_hash, row in connection.execute(query))

        if conn is not None:
            collect(conn)
        else:
            with self._read() as reader:
                collect(reader)
        return rows

    def _vector_rows_for(self, conn: Connection, changed: Sequence[DocumentRecord]) -> dict[str, int]:
        """Row per embed hash: shared with live chunks of the same text, else appended now
        (durably, before this transaction commits)."""
        wanted = {chunk.embed_hash: chunk.vector for record in changed for chunk in record.chunks}
        health = self._vector_health(conn)
        if health.chunks_missing:  # appending now would hand the missing rows to new chunks
            raise damaged_vectors(self.directory, health)
        rows = self._rows_for_hashes(list(wanted), conn)
        missing = [embed_hash for embed_hash in wanted if embed_hash not in rows]
        if missing:
            first = self.vectors.append(np.vstack([wanted[embed_hash] for embed_hash in missing]))
            rows.update((embed_hash, first + offset) for offset, embed_hash in enumerate(missing))
            if self.get_meta_in(conn, "vector_dim") is None:
                conn.execute(insert(schema.meta).values(key="vector_dim", value=str(self.vectors.dimension)))
        return rows

    @staticmethod
    def get_meta_in(conn: Connection, key: str) -> str | None:
        return conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == key))

    @staticmethod
    def _delete_documents(conn: Connection, doc_keys_query: Any) -> tuple[int, list[int]]:
        """Delete documents with their chunks and metadata; returns (count, their vector rows)."""
        doc_keys = list(conn.scalars(doc_keys_query))
        rows: list[int] = []
        if doc_keys:
            bump_generation(conn)
        for start in range(0, len(doc_keys), _BATCH):
            batch = doc_keys[start : start + _BATCH]
            rows += conn.scalars(select(schema.chunks.c.vec_row).where(schema.chunks.c.doc_key.in_(batch))).all()
            conn.execute(delete(schema.chunks).where(schema.chunks.c.doc_key.in_(batch)))
            conn.execute(delete(schema.doc_meta).where(schema.doc_meta.c.doc_key.in_(batch)))
            conn.execute(delete(schema.documents).where(schema.documents.c.doc_key.in_(batch)))
        return len(doc_keys), rows

    @staticmethod
    def _release_rows_after_commit(conn: Connection, rows: list[int]) -> None:
        """Vector rows the transaction stopped referencing: zeroed once it has committed."""
        conn.info[_RELEASED].extend(rows)

    def _zero_unreferenced(self, conn: Connection, rows: list[int]) -> None:
        # Still under the write lock: no writer can start referencing these rows meanwhile,
        # and rows shared with surviving chunks (same text) stay.
        candidates = sorted(set(rows))
        live: set[int] = set()
        for start in range(0, len(candidates), _BATCH):
            batch = candidates[start : start + _BATCH]
            live.update(conn.scalars(select(schema.chunks.c.vec_row).where(schema.chunks.c.vec_row.in_(batch))))
        conn.commit()  # end the autobegun read
        self.vectors.zero([row for row in candidates if row not in live])


def _check_files(directory: Path, database: Path, vectors: Path, read_only: bool) -> None:
    """Refuse what SQLite would report obscurely, or not at all: a directory where a file belongs,
    a vector file whose database is gone (a new database would be built over its rows), a
    read-only directory for a writer."""
    for path in (database, vectors):
        if path.is_dir():
            raise DamagedKnowledgeBaseError(f"{path} is a directory, not the knowledge base's {path.name} file")
    if not database.exists():
        if vectors.exists() and vectors.stat().st_size:
            raise DamagedKnowledgeBaseError(
                f"{directory} holds a vector file ({vectors.name}) but no database ({database.name}): the database "
                f"was deleted or moved. Restore {database.name}, or move {vectors.name} away to start a new "
                "knowledge base here"
            )
        if read_only:
            raise KnowledgeBaseError(f"no knowledge base in {directory} (no {database.name})")
    if read_only:
        return
    if not os.access(directory, os.W_OK):
        raise read_only_error(directory, "its directory cannot be written")
    for path in (database, vectors):
        if path.exists() and not os.access(path, os.W_OK):
            raise read_only_error(directory, f"{path.name} cannot be written")



def _uri(database: Path, option: str) -> str:
    return f"file:{quote(str(database.absolute()))}?{option}"


def _read_only_uri(database: Path) -> str:
    """`mode=ro` follows concurrent writers (WAL) but needs to create the -shm file when it is
    missing; where the directory forbids that, `immutable=1` reads the file as it stands."""
    shared_memory = database.with_name(database.name + "-shm")
    if os.access(database.parent, os.W_OK) or shared_memory.exists():
        return _uri(database, "mode=ro")
    return _uri(database, "immutable=1")


def _configure_connection(dbapi_connection: Any, _: Any, *, read_only: bool = False) -> None:
    # The driver's implicit transactions would let two reads of one search see two
    # snapshots; SQLAlchemy's "begin" event below issues BEGIN itself instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    pragmas = ["foreign_keys=ON", "busy_timeout=30000", "cache_size=-65536", "mmap_size=4294967296"]
    pragmas = ["query_only=ON", *pragmas] if read_only else ["journal_mode=WAL", "synchronous=NORMAL", *pragmas]
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin(conn: Connection) -> None:
    # Writers take the lock up front: no deadlock upgrading a read lock mid-transaction.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("kb_write") else "BEGIN")


def _not_kept(keep: Keep | None) -> list[Any]:
    """Conditions leaving out documents a prune must keep (metadata `key` in the listed values)."""
    meta = schema.doc_meta.c
    return [
        ~exists().where(meta.doc_key == schema.documents.c.doc_key, meta.key == key, meta.text_value.in_(list(values)))
        for key, values in (keep or {}).items() if values
    ]
