"""`Service`: everything `restsync serve` runs, as one object the HTTP API and the CLI share.

    service = Service.open(ServiceSettings(data_dir=Path("restsync-data")))
    ...
    service.close()   # stops the scheduler and the syncs at a page boundary

The data directory holds `restsync.db` (this state), `secret.key` (unless RESTSYNC_SECRET_KEY is
set) and `datasets/<id>/` (one knowledge base each).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from restsync.clock import Clock, SystemClock
from restsync.kb import KBSettings
from restsync.kb.location import store_url_for
from restsync.service.connectors import ConnectorStore, load_source_config, preview_config, test_config
from restsync.service.crypto import Sealer, load_or_create_key
from restsync.service.datasets import DatasetStore, embedder_name
from restsync.service.db import ConnectorRow, DatasetRow, SettingRow, open_database
from restsync.service.errors import ConflictError, InvalidRequestError, NotFoundError
from restsync.service.jobs import JobRunner, ThreadJobRunner
from restsync.service.scheduler import Scheduler, next_times
from restsync.service.search import DatasetSearch, ServiceBackend
from restsync.service.syncs import SyncManager
from restsync.service.tokens import SessionStore, TokenStore

logger = logging.getLogger("restsync.service")

DATABASE_FILE = "restsync.db"
DEFAULT_MAX_CONCURRENT_SYNCS = 2
SHUTDOWN_GRACE_S = 20.0


@dataclass
class ServiceSettings:
    data_dir: Path
    database_url: str | None = None  # default: SQLite file in data_dir; PostgreSQL for a cluster
    index_url: str | None = None  # default: each knowledge base's own index; milvus://... (docs/scaling.md)
    allow_private: bool = False  # the operator's --allow-private; the stored setting can also allow
    max_concurrent_syncs: int | None = None  # the operator's flag wins; else the stored setting, else 2
    scheduler: bool = True  # run the scheduler thread (tests call tick() instead)
    scheduler_interval: float = 15.0
    resume: bool = True  # resume runs the last process left interrupted
    demo_url: str | None = None  # the demo API's base URL, when serving the demo
    env: Mapping[str, str] | None = None  # where RESTSYNC_SECRET_KEY is read (default os.environ)


class Service:
    def __init__(self, settings: ServiceSettings, *, clock: Clock | None = None, runner: JobRunner | None = None):
        self.settings = settings
        self.clock = clock or SystemClock()
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._engine, self._sessions = open_database(settings.database_url or f"sqlite:///{data_dir / DATABASE_FILE}")
        self.sealer = Sealer(load_or_create_key(data_dir, dict(settings.env) if settings.env is not None else None))
        self.tokens = TokenStore(self._sessions, self.clock)
        self.sessions = SessionStore(self._sessions, self.tokens, self.clock)
        self.datasets = DatasetStore(self._sessions, data_dir, self.clock, index_url=settings.index_url,
                                     store_url=store_url_for(settings.database_url, settings.index_url))
        self.connectors = ConnectorStore(self._sessions, self.sealer, self.clock)
        limit = settings.max_concurrent_syncs or int(self.get_setting("max_concurrent_syncs") or DEFAULT_MAX_CONCURRENT_SYNCS)
        self.runner = runner or ThreadJobRunner(max_workers=limit)
        self.syncs = SyncManager(self._sessions, self.datasets, self.connectors, self.runner, self.clock,
                                 allow_private=self.allow_private_for)
        self.scheduler = Scheduler(self.connectors, self.syncs, self.clock, interval=settings.scheduler_interval)
        self.search = DatasetSearch(self.datasets)
        self.backend = ServiceBackend(self.datasets, self.search)
        self._closed = False
        self._started = False

    @classmethod
    def open(cls, settings: ServiceSettings, **kwargs: Any) -> "Service":
        """Build the service and start its background work (resumed runs, the scheduler)."""
        service = cls(settings, **kwargs)
        service.start()
        return service

    def start(self) -> None:
        """Resume the runs the last process left interrupted, then start the scheduler (once)."""
        if self._started:
            return
        self._started = True
        if self.settings.resume:
            self.syncs.recover()
        if self.settings.scheduler:
            self.scheduler.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.scheduler.stop()
        self.syncs.shutdown(timeout=SHUTDOWN_GRACE_S)
        self.datasets.close()
        self._engine.dispose()

    def verify_token(self, token: str) -> bool:
        """True for a live API token (what the integrations' routers authenticate with)."""
        return self.tokens.verify(token) is not None

    # -- settings -----------------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._sessions() as session:
            row = session.get(SettingRow, key)
            return default if row is None else row.value

    def set_setting(self, key: str, value: Any) -> None:
        with self._sessions.begin() as session:
            row = session.get(SettingRow, key)
            if row is None:
                session.add(SettingRow(key=key, value=value))
            else:
                row.value = value

    def settings_view(self) -> dict[str, Any]:
        return {"allow_private": self.settings.allow_private or bool(self.get_setting("allow_private", False)),
                "max_concurrent_syncs": int(self.settings.max_concurrent_syncs or
                                            self.get_setting("max_concurrent_syncs") or DEFAULT_MAX_CONCURRENT_SYNCS),
                "version": version()}

    def update_settings(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        if changes.get("allow_private") is not None:
            self.set_setting("allow_private", bool(changes["allow_private"]))
        if changes.get("max_concurrent_syncs") is not None:
            value = changes["max_concurrent_syncs"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
                raise InvalidRequestError("must be between 1 and 64 (applies from the next start)",
                                          key="max_concurrent_syncs")
            self.set_setting("max_concurrent_syncs", value)
        return self.settings_view()

    def allow_private_for(self, connector: ConnectorRow | None, raw_config: Mapping[str, Any] | None = None) -> bool:
        """Private targets: allowed by the operator, or the demo connector (by name) on the demo API."""
        if self.settings.allow_private or self.get_setting("allow_private", False):
            return True
        demo = self.settings.demo_url
        if demo and connector is not None and connector.name == "demo":
            url = str((raw_config or self.connectors.secret_config(connector)).get("url", ""))
            return url == demo or url.startswith(demo.rstrip("/") + "/")
        return False

    # -- datasets ----------------------------------------------------------------------------------
    def dataset_view(self, row: DatasetRow) -> dict[str, Any]:
        kb = self.datasets.open(row)
        settings = kb.settings
        return {
            "id": row.id, "name": row.name, "description": row.description,
            "embedding_model": settings.embedder, "embedding_url": settings.embedding_url, "chunk_method": "naive",
            "parser_config": {"chunk_token_num": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap},
            "vector_similarity_weight": settings.vector_weight,
            "document_count": kb.count_documents(), "chunk_count": kb.count_chunks(),
            "connectors": [{"id": c.id, "name": c.name} for c in self.datasets.connectors_of(row.id)],
            "create_time": row.create_time, "update_time": row.update_time,
        }

    def create_dataset(self, *, name: str, description: str = "", embedding_model: str | None = None,
                       embedding_url: str | None = None, chunk_token_num: int | None = None,
                       chunk_overlap: int | None = None, vector_similarity_weight: float | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if embedding_model:
            values["embedder"] = embedder_name(embedding_model)
        if embedding_url:
            values["embedding_url"] = embedding_url
        if chunk_token_num is not None:
            values["chunk_tokens"] = chunk_token_num
        if chunk_overlap is not None:
            values["chunk_overlap"] = chunk_overlap
        if vector_similarity_weight is not None:
            values["vector_weight"] = vector_similarity_weight
        row = self.datasets.create(name, description, settings=_kb_settings(values))
        return self.dataset_view(row)

    def update_dataset(self, dataset_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        parser = changes.get("parser_config") or {}
        if parser.get("chunk_token_num") is not None:
            settings["chunk_tokens"] = parser["chunk_token_num"]
        if parser.get("chunk_overlap") is not None:
            settings["chunk_overlap"] = parser["chunk_overlap"]
        if changes.get("vector_similarity_weight") is not None:
            settings["vector_weight"] = changes["vector_similarity_weight"]
        if changes.get("embedding_model"):
            settings["embedder"] = changes["embedding_model"]
        if changes.get("embedding_url") is not None:
            settings["embedding_url"] = changes["embedding_url"] or None
        if "chunk_tokens" in settings and "chunk_overlap" not in settings:
            settings["chunk_overlap"] = None  # re-derived from the new size
        if settings:
            busy = [c.id for c in self.datasets.connectors_of(dataset_id) if self.syncs.active_run_id(c.id)]
            if busy:
                # New settings reopen the knowledge base, which a running sync is writing to.
                raise ConflictError(f"dataset {dataset_id}: connector {busy[0]} is syncing; change settings "
                                    "when it is done (or cancel it)")
        row = self.datasets.update(dataset_id, name=changes.get("name"), description=changes.get("description"),
                                   settings_changes=settings or None)
        for link in changes.get("connectors") or []:
            self.link_connector(link["id"], row.id)
        return self.dataset_view(self.datasets.get(row.id))

    def delete_datasets(self, ids: list[str]) -> int:
        rows = [self.datasets.get(dataset_id) for dataset_id in ids]  # 404 before deleting anything
        for row in rows:
            for connector in self.datasets.connectors_of(row.id):
                if self.syncs.active_run_id(connector.id) is not None:
                    raise ConflictError(f"dataset {row.id}: connector {connector.id} is syncing; cancel it first")
        for row in rows:
            for connector in self.datasets.connectors_of(row.id):
                self.connectors.delete(connector.id)
            self.datasets.delete(row.id)
        return len(rows)

    def link_connector(self, connector_id: str, dataset_id: str, *, trigger: str = "link") -> dict[str, Any]:
        """Link a connector to a dataset (as RAGFlow's dataset update does) and start its first sync."""
        connector = self.connectors.get(connector_id)
        if connector.dataset_id not in (None, dataset_id):
            raise ConflictError(f"connector {connector_id} is linked to dataset {connector.dataset_id}; "
                                "unlink it first (PUT /api/v1/connectors/{id} with dataset_id null)")
        self.connectors.update(connector_id, {"dataset_id": dataset_id})
        if self.syncs.active_run_id(connector_id) is None:
            self.syncs.start(connector_id, full=False, trigger=trigger)
        return self.connector_view(self.connectors.get(connector_id))

    def documents(self, dataset_id: str, *, offset: int, limit: int, keywords: str | None,
                  document_id: str | None, connector_id: str | None) -> dict[str, Any]:
        row = self.datasets.get(dataset_id)
        kb = self.datasets.open(row)
        docs, total = kb.list_documents(source=connector_id, offset=offset, limit=limit,
                                        title_contains=keywords or None, doc_id=document_id)
        return {"docs": [_document_view(doc, row.id) for doc in docs], "total": total}

    def document(self, dataset_id: str, document_id: str) -> tuple[dict[str, Any], Any]:
        row = self.datasets.get(dataset_id)
        stored = self.datasets.open(row).get_document(document_id)
        if stored is None:
            raise NotFoundError("document", document_id)
        view = {"id": stored.doc_id, "name": stored.title, "dataset_id": row.id, "connector_id": stored.source,
                "link": stored.link, "meta_fields": dict(stored.metadata or {}), "update_time": stored.updated_at,
                "chunk_count": len(stored.chunks), "run": "DONE"}
        return view, stored

    # -- connectors --------------------------------------------------------------------------------
    def connector_view(self, row: ConnectorRow) -> dict[str, Any]:
        return {
            "id": row.id, "name": row.name, "source": row.source, "config": row.public_config,
            "refresh_freq": row.refresh_freq or 0, "prune_freq": row.prune_freq or 0,
            "timeout_secs": row.timeout_secs, "status": row.status, "dataset_id": row.dataset_id,
            "last_sync": self.syncs.last_run(row.id), "running_run_id": self.syncs.active_run_id(row.id),
            **next_times(row), "create_time": row.create_time, "update_time": row.update_time,
        }

    def create_connector(self, body: Mapping[str, Any]) -> dict[str, Any]:
        dataset_id = body.get("dataset_id")
        if dataset_id is not None:
            self.datasets.get(dataset_id)
        row = self.connectors.create(
            name=body.get("name"), source=body.get("source") or "rest_api", config=body.get("config") or {},
            refresh_freq=body.get("refresh_freq"), prune_freq=body.get("prune_freq"),
            timeout_secs=body.get("timeout_secs"), dataset_id=None,
        )
        if dataset_id is not None:
            return self.link_connector(row.id, dataset_id)
        return self.connector_view(row)

    def update_connector(self, connector_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        current = self.connectors.get(connector_id)
        new_dataset = changes.get("dataset_id", current.dataset_id)
        if "dataset_id" in changes and new_dataset != current.dataset_id and self.syncs.active_run_id(connector_id):
            raise ConflictError(f"connector {connector_id} is syncing; cancel it before moving it")
        link_to = new_dataset if (new_dataset is not None and new_dataset != current.dataset_id) else None
        if link_to is not None:
            changes = {key: value for key, value in changes.items() if key != "dataset_id"}
        row = self.connectors.update(connector_id, changes)
        if link_to is not None:
            return self.link_connector(row.id, link_to)
        return self.connector_view(row)

    def set_connector_status(self, connector_id: str, status: str) -> dict[str, Any]:
        row = self.connectors.update(connector_id, {"status": status})
        if status == "CANCEL":
            self.syncs.cancel_quietly(connector_id, "cancelled: the connector was paused")
        return self.connector_view(row)

    def delete_connector(self, connector_id: str) -> None:
        row = self.connectors.get(connector_id)
        if self.syncs.active_run_id(connector_id) is not None:
            self.syncs.cancel_quietly(connector_id, "cancelled: the connector was deleted")
            if not self.syncs.wait_idle(connector_id, timeout=30):
                raise ConflictError(f"connector {connector_id}: its sync did not stop yet; try again")
        self.connectors.delete(connector_id)
        if row.dataset_id is not None:
            try:
                self.datasets.open(row.dataset_id).delete_source(connector_id)
            except NotFoundError:
                pass

    def test_saved(self, connector_id: str) -> dict[str, Any]:
        row = self.connectors.get(connector_id)
        raw = self.connectors.secret_config(row)
        return test_config(raw, allow_private=self.allow_private_for(row, raw))

    def test_unsaved(self, config: Mapping[str, Any], connector_id: str | None = None) -> dict[str, Any]:
        raw = self.connectors.resolve(config, connector_id)
        row = self.connectors.get(connector_id) if connector_id else None
        return test_config(raw, allow_private=self.allow_private_for(row, raw))

    def preview_saved(self, connector_id: str, *, limit: int, pages: int) -> dict[str, Any]:
        row = self.connectors.get(connector_id)
        raw = self.connectors.secret_config(row)
        return preview_config(raw, allow_private=self.allow_private_for(row, raw), limit=limit, pages=pages)

    def preview_unsaved(self, config: Mapping[str, Any], *, connector_id: str | None, limit: int,
                        pages: int) -> dict[str, Any]:
        raw = self.connectors.resolve(config, connector_id)
        row = self.connectors.get(connector_id) if connector_id else None
        return preview_config(raw, allow_private=self.allow_private_for(row, raw), limit=limit, pages=pages)

    def import_ragflow(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A RAGFlow connector record (or a bare RAGFlow config) as this API's create body."""
        looks_like_record = isinstance(record.get("config"), Mapping)
        config = dict(record["config"]) if looks_like_record else dict(record)
        loaded = load_source_config(config)  # names the key that is wrong, before anything is saved
        body = {
            "name": (record.get("name") if looks_like_record else None) or loaded.hostname or "rest_api",
            "source": "rest_api", "config": config,
            "refresh_freq": record.get("refresh_freq") if looks_like_record else None,
            "prune_freq": record.get("prune_freq") if looks_like_record else None,
            "timeout_secs": record.get("timeout_secs") if looks_like_record else None,
        }
        from restsync.service.config_secrets import mask_config

        body["config"] = mask_config(config)
        return {"connector": body, "warnings": list(loaded.warnings)}

    def connectors_of_dataset(self, dataset_id: str | None, offset: int, limit: int) -> dict[str, Any]:
        if dataset_id:
            self.datasets.get(dataset_id)
        rows, total = self.connectors.list(dataset_id=dataset_id, offset=offset, limit=limit)
        return {"connectors": [self.connector_view(row) for row in rows], "total": total}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("restsync")
    except PackageNotFoundError:
        return "unknown"


def _kb_settings(values: dict[str, Any]) -> KBSettings:
    return KBSettings.from_dict(values) if values else KBSettings()


def _document_view(doc: Any, dataset_id: str) -> dict[str, Any]:
    return {"id": doc.doc_id, "name": doc.title, "dataset_id": dataset_id, "connector_id": doc.source,
            "link": doc.link, "meta_fields": dict(doc.metadata or {}), "update_time": doc.updated_at,
            "chunk_count": doc.chunks, "run": "DONE"}
