"""The service's own state: datasets, connectors, tokens, sync runs and settings.

SQLAlchemy ORM over any database URL; the default is a SQLite file in the data directory, and
PostgreSQL is a URL away. Knowledge-base content (documents, chunks, vectors) is not here: it
stays in each dataset's `KnowledgeBase` directory.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    directory: Mapped[str] = mapped_column(Text)  # relative to the data directory
    create_time: Mapped[float] = mapped_column(Float)
    update_time: Mapped[float] = mapped_column(Float)


class ConnectorRow(Base):
    __tablename__ = "connectors"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(40), default="rest_api")
    # The config as submitted with every secret replaced by "***" (what responses show)...
    public_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    # ...and the whole config, secrets included, encrypted (Fernet) with the server's key.
    sealed_config: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_freq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # minutes
    prune_freq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # minutes
    timeout_secs: Mapped[int] = mapped_column(Integer, default=3600)
    status: Mapped[str] = mapped_column(String(16), default="SCHEDULE")
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)
    last_refresh_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_prune_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    create_time: Mapped[float] = mapped_column(Float)
    update_time: Mapped[float] = mapped_column(Float)


class TokenRow(Base):
    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lookup: Mapped[str] = mapped_column(String(16), index=True)  # a non-secret prefix to find the row
    token_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of the whole token
    create_time: Mapped[float] = mapped_column(Float)
    last_used_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class SessionRow(Base):
    __tablename__ = "sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector_id: Mapped[str] = mapped_column(String(32), index=True)
    dataset_id: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))  # requested: full / incremental (actual once running)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    resumed: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # SyncResult.to_dict() and progress
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # With a distributed queue: which worker holds the run, and when it last proved alive.
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class SettingRow(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


def open_database(url: str) -> tuple[Engine, sessionmaker]:
    """Engine and session factory for `url` (SQLite or PostgreSQL), migrated to the newest schema."""
    options: dict[str, Any] = {"json_serializer": lambda value: json.dumps(value, default=str, ensure_ascii=False)}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    from restsync.service.migrations import upgrade

    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
