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
from sqlalchemy import Connection, create_engine, event, func, select
from sqlalchemy.pool import QueuePool

from restsync.document import json_safe
from restsync.errors import DamagedKnowledgeBaseError, KnowledgeBaseError
from restsync.kb.store import schema
from restsync.kb.store.base import Candidate, SearchRequest, VectorHealth
from restsync.kb.store.chunk_map import bump_generation
from restsync.kb.store.consistency import repair_missing_vectors, vector_health
from restsync.kb.store.failures import read_only as read_only_error
from restsync.kb.store.failures import translated
from restsync.kb.store.locks import SourceLock
from restsync.kb.store.relational import RelationalStore, VectorColumns
from restsync.kb.store.search import SearchCaches, search_candidates
from restsync.kb.store.upgrades import create_or_upgrade
from restsync.kb.store.vector_rows import RELEASED, release_rows_of, rows_for_hashes, rows_for_vectors, zero_unreferenced
from restsync.kb.store.vectors import VectorFile

DATABASE_FILE = "kb.sqlite"
VECTOR_FILE = "vectors.f32"


WAL_ATTEMPTS = 40  # about 16 s of waits in all: far beyond another handle's first open


class SqliteStore(RelationalStore):
    chunks = schema.chunks

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
                    create_or_upgrade(conn)
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
            conn.info[RELEASED] = []
            try:
                with conn.begin():
                    yield conn
                if conn.info[RELEASED]:
                    zero_unreferenced(conn, self.vectors, conn.info[RELEASED])
            finally:
                conn.info.pop(RELEASED, None)

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

    # -- what SQLite does its own way ---------------------------------------------------------
    def cached_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        with self._read() as conn:
            rows = rows_for_hashes(conn, embed_hashes)
        if not rows:
            return {}
        self._learn_dimension()
        matrix = self.vectors.read(list(rows.values()))
        return {embed_hash: matrix[index] for index, embed_hash in enumerate(rows)}

    def search(self, request: SearchRequest) -> list[Candidate]:
        self._learn_dimension()  # opened empty; another handle may have written since
        with self._read() as conn:
            return search_candidates(conn, self.vectors, request, self._search_caches, self._vector_pool)

    def lock_source(self, source: str) -> SourceLock:
        return SourceLock(self.directory, source)

    def close(self) -> None:
        self._vector_pool.shutdown(wait=True)
        self._engine.dispose()

    # -- hooks of the relational store -----------------------------------------------------------
    def _vector_columns(self, conn: Connection, vectors: dict[str, np.ndarray]) -> VectorColumns:
        self._learn_dimension(conn)
        rows = rows_for_vectors(conn, self.vectors, vectors, self.directory)
        return lambda embed_hash: {"vec_row": rows[embed_hash]}

    def _vector_column(self) -> Any:
        return schema.chunks.c.vec_row.label("vector_ref")

    def _decode_vectors(self, conn: Connection, refs: list[Any]) -> Sequence[np.ndarray]:
        self._learn_dimension(conn)
        return list(self.vectors.read(refs)) if refs else []

    @staticmethod
    def get_meta_in(conn: Connection, key: str) -> str | None:
        return conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == key))

    def _new_doc_keys(self, conn: Connection, count: int) -> list[int]:
        # Assigned here (the write lock is held) so every row goes in as one bulk insert.
        first = (conn.scalar(select(func.max(schema.documents.c.doc_key))) or 0) + 1
        return list(range(first, first + count))

    def _documents_changing(self, conn: Connection) -> None:
        bump_generation(conn)

    def _releasing_chunks(self, conn: Connection, doc_keys: list[int]) -> None:
        release_rows_of(conn, doc_keys)


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
    pragmas = ["busy_timeout=30000", "foreign_keys=ON", "cache_size=-65536", "mmap_size=4294967296"]
    pragmas = [*pragmas, "query_only=ON"] if read_only else [*pragmas, "synchronous=NORMAL"]
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    if not read_only:
        _enter_wal(cursor)
    cursor.close()


def _enter_wal(cursor: Any) -> None:
    """Switch a new database to WAL. Two handles opening one new knowledge base at once race for
    it, and SQLite answers the loser "database is locked" at once, without waiting out the busy
    timeout (it would otherwise risk a deadlock): wait a little and ask again."""
    pause = threading.Event()
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_ATTEMPTS - 1:
                raise
            pause.wait(0.02 * (attempt + 1))


def _begin(conn: Connection) -> None:
    # Writers take the lock up front: no deadlock upgrading a read lock mid-transaction.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("kb_write") else "BEGIN")
