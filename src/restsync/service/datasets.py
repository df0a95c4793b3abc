"""Datasets: named knowledge bases, each one `KnowledgeBase` directory under the data directory.

Handles are opened once and shared by searches and syncs (the store is thread-safe); embedders
are shared across datasets that use the same one, so a model loads once per process.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from restsync.clock import Clock
from restsync.errors import ConfigError
from restsync.kb import KBSettings, KnowledgeBase
from restsync.kb.embedding import build_embedder
from restsync.service.db import ConnectorRow, DatasetRow
from restsync.service.errors import ConflictError, InvalidRequestError, NotFoundError

DATASETS_DIRECTORY = "datasets"
HASHING_ALIAS = "hashing"  # a short name for the model-free test embedder
HASHING_EMBEDDER = "hashing-256"


def embedder_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    return HASHING_EMBEDDER if name == HASHING_ALIAS else name


class DatasetStore:
    def __init__(self, sessions: sessionmaker, data_dir: Path, clock: Clock, *, index_url: str | None = None,
                 store_url: str | None = None):
        self._sessions = sessions
        self._index_url = index_url  # where searches go (restsync.kb.index); None: each knowledge base itself
        # Where knowledge bases live (`store_url_for`): None, each in its directory; else in PostgreSQL,
        # named by that same relative directory, and nothing of them is in the data directory.
        self._store_url = store_url
        self._data_dir = data_dir
        self._clock = clock
        self._lock = threading.RLock()
        self._handles: dict[str, KnowledgeBase] = {}
        self._embedders: dict[tuple[str, str | None], Any] = {}

    # -- rows --------------------------------------------------------------------------------
    def create(self, name: str, description: str = "", settings: KBSettings | None = None) -> DatasetRow:
        name = _name(name)
        ident = uuid.uuid4().hex
        now = self._clock.time()
        row = DatasetRow(id=ident, name=name, description=description or "",
                         directory=f"{DATASETS_DIRECTORY}/{ident}", create_time=now, update_time=now)
        with self._sessions.begin() as session:
            if session.scalar(select(DatasetRow.id).where(DatasetRow.name == name)):
                raise ConflictError(f"a dataset named {name!r} exists already", key="name")
            session.add(row)
        try:
            self.open(row, settings=settings or KBSettings())
        except Exception:
            with self._sessions.begin() as session:
                session.delete(session.get(DatasetRow, ident))
            raise
        return row

    def get(self, dataset_id: str) -> DatasetRow:
        with self._sessions() as session:
            row = session.get(DatasetRow, dataset_id)
        if row is None:
            raise NotFoundError("dataset", dataset_id)
        return row

    def find_by_name(self, name: str) -> DatasetRow | None:
        with self._sessions() as session:
            return session.scalar(select(DatasetRow).where(DatasetRow.name == name))

    def list(self, *, name: str | None = None, ident: str | None = None, orderby: str = "create_time",
             desc: bool = True, offset: int = 0, limit: int = 30) -> tuple[list[DatasetRow], int]:
        if orderby not in ("create_time", "update_time", "name"):
            raise InvalidRequestError("must be create_time, update_time or name", key="orderby")
        query = select(DatasetRow)
        if name:
            query = query.where(DatasetRow.name == name)
        if ident:
            query = query.where(DatasetRow.id == ident)
        column = getattr(DatasetRow, orderby)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(column.desc() if desc else column).offset(offset).limit(limit)))
        return rows, total

    def update(self, dataset_id: str, *, name: str | None = None, description: str | None = None,
               settings_changes: dict[str, Any] | None = None) -> DatasetRow:
        row = self.get(dataset_id)
        if settings_changes:
            kb = self.open(row)
            changes = dict(settings_changes)
            if "embedder" in changes:
                changes["embedder"] = embedder_name(changes["embedder"])
            try:
                new_settings = replace(kb.settings, **changes)
            except TypeError as exc:
                raise InvalidRequestError(str(exc)) from None
            self._reopen(row, new_settings)
        with self._sessions.begin() as session:
            stored = session.get(DatasetRow, dataset_id)
            if name is not None:
                new_name = _name(name)
                clash = session.scalar(select(DatasetRow.id).where(DatasetRow.name == new_name, DatasetRow.id != dataset_id))
                if clash:
                    raise ConflictError(f"a dataset named {new_name!r} exists already", key="name")
                stored.name = new_name
            if description is not None:
                stored.description = description
            stored.update_time = self._clock.time()
            return stored

    def delete(self, dataset_id: str) -> None:
        row = self.get(dataset_id)
        with self._lock:
            kb = self._handles.pop(dataset_id, None)
            if kb is None and self._index_url:
                kb = self._open_kb(row, None)  # its collection in the shared index goes too
            if kb is not None:
                try:
                    kb.drop_index()
                    kb.drop_store()
                finally:
                    kb.close()
        with self._sessions.begin() as session:
            session.delete(session.get(DatasetRow, dataset_id))
        shutil.rmtree(self.directory(row), ignore_errors=True)

    def connectors_of(self, dataset_id: str) -> list[ConnectorRow]:
        with self._sessions() as session:
            return list(session.scalars(select(ConnectorRow).where(ConnectorRow.dataset_id == dataset_id)
                                        .order_by(ConnectorRow.create_time)))

    # -- knowledge bases -----------------------------------------------------------------------
    def directory(self, row: DatasetRow) -> Path:
        return self._data_dir / row.directory

    def open(self, row: DatasetRow | str, settings: KBSettings | None = None) -> KnowledgeBase:
        """The dataset's knowledge base (opened once, then shared)."""
        if isinstance(row, str):
            row = self.get(row)
        with self._lock:
            kb = self._handles.get(row.id)
            if kb is not None and settings is None:
                return kb
            if kb is not None:
                return self._reopen(row, settings)
            kb = self._open_kb(row, settings)
            self._handles[row.id] = kb
            return kb

    def _reopen(self, row: DatasetRow, settings: KBSettings) -> KnowledgeBase:
        with self._lock:
            old = self._handles.pop(row.id, None)
            try:
                kb = self._open_kb(row, settings)
            except Exception:
                if old is not None:
                    self._handles[row.id] = old
                raise
            if old is not None:
                old.close()
            self._handles[row.id] = kb
            return kb

    def _open_kb(self, row: DatasetRow, settings: KBSettings | None) -> KnowledgeBase:
        location = row.directory if self._store_url else self.directory(row)
        wanted = settings
        if wanted is None:
            wanted = KnowledgeBase.stored_settings(location, store_url=self._store_url)
        embedder = self._embedder(wanted.embedder, wanted.embedding_url)
        return KnowledgeBase.open(location, settings=wanted, embedder=embedder, clock=self._clock,
                                  index_url=self._index_url, store_url=self._store_url)

    def _embedder(self, name: str, url: str | None) -> Any:
        key = (name, url)
        with self._lock:
            if key not in self._embedders:
                try:
                    self._embedders[key] = build_embedder(name, url=url)
                except ConfigError as exc:
                    raise ConfigError(str(exc).split(": ", 1)[-1], key="embedding_model") from None
            return self._embedders[key]

    def close(self) -> None:
        with self._lock:
            for kb in self._handles.values():
                kb.close()
            self._handles.clear()


def _name(name: str | None) -> str:
    text = (name or "").strip()
    if not text or len(text) > 128:
        raise InvalidRequestError("must be 1 to 128 characters", key="name")
    return text
