"""The distributed store: every knowledge base in its own schema of a PostgreSQL database
(the server's state database), so workers on any number of machines share it.

Documents, chunks (with their vectors), metadata rows, runs, checkpoints, the embedding cache
(chunks of equal text share their stored vector) and missing marks are the embedded store's
tables (`relational`), written in the same transactions. What differs: vectors live in the
chunk rows, document keys come from the table's sequence, reads run in REPEATABLE READ
snapshots, and `lock_source` is an advisory lock (`pg_lock`).

No search of its own: this store goes with an external index (Milvus), which the knowledge
base searches; `search` says so. Needs the `scale` extra (psycopg).
"""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from restsync.document import json_safe
from restsync.errors import ConfigError, KnowledgeBaseError
from restsync.kb.store import pg_schema, schema
from restsync.kb.store.base import Candidate, SearchRequest, VectorHealth
from restsync.kb.store.pg_lock import AdvisorySourceLock
from restsync.kb.store.relational import BATCH, RelationalStore, VectorColumns


class PostgresStore(RelationalStore):
    chunks = pg_schema.chunks

    def __init__(self, url: str, name: str):
        """`url`: a SQLAlchemy PostgreSQL URL (`postgresql+psycopg://...`); `name`: the knowledge
        base's name in that database (its schema is derived from it)."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ConfigError(f"a knowledge base store URL must be PostgreSQL, not {parsed.get_backend_name()}",
                              key="database_url")
        self.name = name
        self.schema_name = pg_schema.schema_name(name)
        self._url = url
        self._where = parsed.render_as_string(hide_password=True)
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        shared = _engines.acquire(url)
        self._engine = shared.execution_options(schema_translate_map={None: self.schema_name})
        try:
            with self._write() as conn:
                # Two processes opening a new knowledge base at once would race on the catalog.
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                             {"key": "restsync-kb-schema:" + self.schema_name})
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema_name}"')
                pg_schema.metadata.create_all(conn)
                # Its id too, under the same lock: two first opens must not pick two ids (the
                # Milvus collection is named after it).
                if self.get_meta_in(conn, "kb_id") is None:
                    conn.execute(pg_insert(schema.meta).values(key="kb_id", value=str(uuid.uuid4())))
        except BaseException:
            _engines.release(url)
            raise

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction on one snapshot (a search and its follow-up reads agree)."""
        with self._translated(), self._engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._translated(), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as error:
            detail = str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise KnowledgeBaseError(f"the knowledge-base store at {self._where} failed: {detail}") from error

    # -- vectors ----------------------------------------------------------------------------
    def cached_vectors(self, embed_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        chunks = self.chunks.c
        unique = list(dict.fromkeys(embed_hashes))
        found: dict[str, np.ndarray] = {}
        with self._read() as conn:
            for start in range(0, len(unique), BATCH):
                query = select(chunks.embed_hash, chunks.vector).where(chunks.embed_hash.in_(unique[start : start + BATCH]))
                for embed_hash, vector in conn.execute(query):
                    if embed_hash not in found:  # chunks of equal text hold equal vectors
                        found[embed_hash] = _decode(vector)
        return found

    def vector_health(self) -> VectorHealth:
        """Always ok, and free (the knowledge base asks before every batch): each chunk row holds
        its own vector, so there is no file whose rows could go missing."""
        return VectorHealth(rows_in_file=0, rows_referenced=0, chunks_missing=0, path=f"{self.schema_name}.chunks")

    def repair_vectors(self, embed: Callable[[list[str]], np.ndarray]) -> int:
        return 0

    def search(self, request: SearchRequest) -> list[Candidate]:
        raise KnowledgeBaseError(
            f"the knowledge base {self.name!r} is stored in PostgreSQL, which keeps no search index of its own: "
            "search it through an external index (index_url milvus://...)"
        )

    # -- locks and lifetime ------------------------------------------------------------------
    def lock_source(self, source: str) -> AdvisorySourceLock:
        return AdvisorySourceLock(self._conninfo, f"restsync-kb:{self.schema_name}:{source}", source)

    def drop(self) -> None:
        """Delete the knowledge base: its schema and everything in it."""
        with self._write() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema_name}" CASCADE')

    def close(self) -> None:
        if self._engine is not None:
            self._engine = None
            _engines.release(self._url)

    # -- hooks of the relational store -----------------------------------------------------------
    def _vector_columns(self, conn: Connection, vectors: dict[str, np.ndarray]) -> VectorColumns:
        encoded = {embed_hash: _encode(vector) for embed_hash, vector in vectors.items()}
        if encoded and self.get_meta_in(conn, "vector_dim") is None:
            dimension = len(next(iter(vectors.values())))
            self._replace_row(conn, schema.meta, {"key": "vector_dim"}, {"value": str(dimension)})
        return lambda embed_hash: {"vector": encoded[embed_hash]}

    def _vector_column(self) -> Any:
        return self.chunks.c.vector.label("vector_ref")

    def _decode_vectors(self, conn: Connection, refs: list[Any]) -> Sequence[np.ndarray]:
        return [_decode(ref) for ref in refs]

    def _new_doc_keys(self, conn: Connection, count: int) -> list[int]:
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:table, 'doc_key')"),
                               {"table": f'"{self.schema_name}".documents'})
        return list(conn.scalars(text("SELECT nextval(:sequence) FROM generate_series(1, :count)"),
                                 {"sequence": sequence, "count": count}))

    def _after_import(self, conn: Connection) -> None:
        for table, column in pg_schema.SERIAL_COLUMNS:
            pg_schema.advance_sequence(conn, f'"{self.schema_name}".{table}', column)

    @staticmethod
    def _replace_row(conn: Connection, table: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
        # An upsert: two workers may set the same key at once.
        statement = pg_insert(table).values(**key, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values) if values
                     else statement.on_conflict_do_nothing())

    @staticmethod
    def get_meta_in(conn: Connection, key: str) -> str | None:
        return conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == key))


def _encode(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _decode(value: bytes) -> np.ndarray:
    return np.frombuffer(value, dtype="<f4").copy()


class _SharedEngines:
    """One engine (one connection pool) per database URL for the whole process: a server with
    many knowledge bases must not open a pool per knowledge base."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[str, tuple[Engine, int]] = {}

    def acquire(self, url: str) -> Engine:
        with self._lock:
            engine, users = self._engines.get(url, (None, 0))
            if engine is None:
                engine = create_engine(
                    url, pool_size=4, max_overflow=8, pool_pre_ping=True,
                    json_serializer=lambda value: json.dumps(json_safe(value), default=str, ensure_ascii=False,
                                                             allow_nan=False),
                )
            self._engines[url] = (engine, users + 1)
            return engine

    def release(self, url: str) -> None:
        with self._lock:
            engine, users = self._engines.get(url, (None, 0))
            if engine is None:
                return
            if users <= 1:
                del self._engines[url]
                engine.dispose()
            else:
                self._engines[url] = (engine, users - 1)


_engines = _SharedEngines()

