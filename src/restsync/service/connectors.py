"""Connectors (data sources): their rows, their configs (secrets sealed), and test / preview.

Test and preview are the CLI's own `check` and `preview` (`restsync.diagnostics`); the service
only adds what a browser needs: configs that never show a secret, and the preview's exchanges.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from restsync.clock import Clock
from restsync.config import SourceConfig, load_config
from restsync.diagnostics import check_failed, run_check, run_preview
from restsync.errors import ConfigError, RestSyncError
from restsync.service.config_secrets import keep_stored_secrets, mask_config, normalise, unresolved_masks
from restsync.service.crypto import Sealer
from restsync.service.db import ConnectorRow, DatasetRow
from restsync.service.errors import InvalidRequestError, NotFoundError
from restsync.service.inspect import RecordingTransport, masked_exchanges

SOURCE_TYPES = ("rest_api",)
STATUSES = ("SCHEDULE", "CANCEL")
DEFAULT_TIMEOUT_SECS = 3600
MAX_PREVIEW_PAGES = 5
MAX_PREVIEW_DOCUMENTS = 50


def load_source_config(raw: Mapping[str, Any]) -> SourceConfig:
    """A stored or submitted config as a SourceConfig. `${ENV}` is not expanded: a server must not
    hand its own environment to whoever can edit a connector. Errors name `config.<key>`."""
    try:
        config = load_config(dict(raw), env={})
        config.check_required()
    except ConfigError as exc:
        raise _config_error(exc) from None
    return config


def _config_error(exc: ConfigError) -> ConfigError:
    message = str(exc)
    key = getattr(exc, "key", None)
    if key and message.startswith(f"{key}: "):
        message = message[len(key) + 2:]
    return type(exc)(message, key=f"config.{key}" if key else "config")


class ConnectorStore:
    def __init__(self, sessions: sessionmaker, sealer: Sealer, clock: Clock):
        self._sessions = sessions
        self._sealer = sealer
        self._clock = clock

    # -- rows ---------------------------------------------------------------------------------
    def create(self, *, name: str, source: str, config: Mapping[str, Any], refresh_freq: int | None,
               prune_freq: int | None, timeout_secs: int | None, dataset_id: str | None) -> ConnectorRow:
        _check_source(source)
        raw = normalise(config)
        _check_no_masks(raw)
        load_source_config(raw)
        now = self._clock.time()
        row = ConnectorRow(
            id=uuid.uuid4().hex, name=_name(name), source=source, public_config=mask_config(raw),
            sealed_config=self._sealer.seal(raw), refresh_freq=_minutes(refresh_freq, "refresh_freq"),
            prune_freq=_minutes(prune_freq, "prune_freq"), timeout_secs=_timeout(timeout_secs),
            status="SCHEDULE", dataset_id=None, create_time=now, update_time=now,
        )
        with self._sessions.begin() as session:
            if dataset_id is not None:
                _dataset_exists(session, dataset_id)
                row.dataset_id = dataset_id
            session.add(row)
        return row

    def get(self, connector_id: str) -> ConnectorRow:
        with self._sessions() as session:
            row = session.get(ConnectorRow, connector_id)
        if row is None:
            raise NotFoundError("connector", connector_id)
        return row

    def find_by_name(self, name: str) -> ConnectorRow | None:
        with self._sessions() as session:
            return session.scalar(select(ConnectorRow).where(ConnectorRow.name == name).order_by(ConnectorRow.create_time))

    def list(self, *, dataset_id: str | None = None, offset: int = 0, limit: int = 30) -> tuple[list[ConnectorRow], int]:
        query = select(ConnectorRow)
        if dataset_id:
            query = query.where(ConnectorRow.dataset_id == dataset_id)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(ConnectorRow.create_time).offset(offset).limit(limit)))
        return rows, total

    def all(self) -> list[ConnectorRow]:
        with self._sessions() as session:
            return list(session.scalars(select(ConnectorRow).order_by(ConnectorRow.create_time)))

    def update(self, connector_id: str, changes: Mapping[str, Any]) -> ConnectorRow:
        with self._sessions.begin() as session:
            row = session.get(ConnectorRow, connector_id)
            if row is None:
                raise NotFoundError("connector", connector_id)
            if "name" in changes and changes["name"] is not None:
                row.name = _name(changes["name"])
            if "source" in changes and changes["source"] is not None:
                _check_source(changes["source"])
            if "config" in changes and changes["config"] is not None:
                raw = keep_stored_secrets(changes["config"], self._sealer.open(row.sealed_config))
                _check_no_masks(raw)
                load_source_config(raw)
                row.public_config = mask_config(raw)
                row.sealed_config = self._sealer.seal(raw)
            if "refresh_freq" in changes:
                row.refresh_freq = _minutes(changes["refresh_freq"], "refresh_freq")
            if "prune_freq" in changes:
                row.prune_freq = _minutes(changes["prune_freq"], "prune_freq")
            if "timeout_secs" in changes:
                row.timeout_secs = _timeout(changes["timeout_secs"])
            if "status" in changes and changes["status"] is not None:
                if changes["status"] not in STATUSES:
                    raise InvalidRequestError(f"must be one of {', '.join(STATUSES)}", key="status")
                row.status = changes["status"]
            if "dataset_id" in changes:
                if changes["dataset_id"] is not None:
                    _dataset_exists(session, changes["dataset_id"])
                row.dataset_id = changes["dataset_id"]
            for key in ("last_refresh_time", "last_prune_time"):
                if key in changes:
                    setattr(row, key, changes[key])
            row.update_time = self._clock.time()
            return row

    def delete(self, connector_id: str) -> ConnectorRow:
        with self._sessions.begin() as session:
            row = session.get(ConnectorRow, connector_id)
            if row is None:
                raise NotFoundError("connector", connector_id)
            session.delete(row)
            return row

    # -- configs -------------------------------------------------------------------------------
    def secret_config(self, row: ConnectorRow) -> dict[str, Any]:
        """The whole config, secrets included: only for building a connector, never for a response."""
        return self._sealer.open(row.sealed_config)

    def resolve(self, config: Mapping[str, Any], connector_id: str | None) -> dict[str, Any]:
        """An unsaved config from a form: "***" values are taken from the saved connector, if named."""
        stored = self.secret_config(self.get(connector_id)) if connector_id else None
        raw = keep_stored_secrets(config, stored)
        _check_no_masks(raw)
        return raw


# -- diagnostics ---------------------------------------------------------------------------------


def test_config(raw: Mapping[str, Any], *, allow_private: bool) -> dict[str, Any]:
    """`restsync check` on a config: the report as JSON (failures are in the report, not raised)."""
    report, _ = _diagnose(raw, allow_private, lambda connector, build, recorder: run_check(connector))
    return report.to_dict()


def preview_config(raw: Mapping[str, Any], *, allow_private: bool, limit: int = 5, pages: int = 1) -> dict[str, Any]:
    """`restsync preview` on a config, plus the page inspector: each exchange of the first `pages` pages."""
    if not 1 <= pages <= MAX_PREVIEW_PAGES:
        raise InvalidRequestError(f"must be between 1 and {MAX_PREVIEW_PAGES}", key="pages")
    if not 0 <= limit <= MAX_PREVIEW_DOCUMENTS:
        raise InvalidRequestError(f"must be between 0 and {MAX_PREVIEW_DOCUMENTS}", key="limit")

    def preview(connector: Any, build: Any, recorder: RecordingTransport) -> Any:
        result = run_preview(connector, limit=limit)
        if pages > 1 and result.check.ok:
            # Walk the first `pages` pages (page 1 again, as a sync would) so the inspector shows each.
            recorder.exchanges.clear()
            walker = build(dataclasses.replace(connector.config, max_pages=pages))
            try:
                for _ in walker.iter_documents():
                    pass
            except RestSyncError:
                pass  # the failing exchange is in the record, with its error
            finally:
                walker.close()
        return result

    result, exchanges = _diagnose(raw, allow_private, preview)
    body = result.to_dict()
    body.setdefault("documents", [])
    body["pages"] = exchanges
    return body


def _diagnose(raw: Mapping[str, Any], allow_private: bool, runner: Any) -> tuple[Any, list[dict[str, Any]]]:
    from restsync.connector import RestApiConnector

    config = None
    recorder = RecordingTransport()

    def build(source_config: SourceConfig) -> Any:
        return RestApiConnector(source_config, allow_private=allow_private, transport=recorder)

    try:
        try:
            config = load_source_config(raw)
            connector = build(config)
        except RestSyncError as exc:
            return check_failed(exc, config), []
        try:
            result = runner(connector, build, recorder)
        finally:
            connector.close()
        return result, masked_exchanges(recorder, config.secret_values())
    finally:
        recorder.close()


# -- validation ----------------------------------------------------------------------------------


def _check_source(source: str) -> None:
    if source not in SOURCE_TYPES:
        raise InvalidRequestError(f"must be one of {', '.join(SOURCE_TYPES)}", key="source")


def _check_no_masks(raw: Mapping[str, Any]) -> None:
    missing = unresolved_masks(raw)
    if missing:
        raise InvalidRequestError("is '***' but no secret is stored for it; enter the secret", key=missing[0])


def _name(name: Any) -> str:
    text = str(name or "").strip()
    if not text or len(text) > 128:
        raise InvalidRequestError("must be 1 to 128 characters", key="name")
    return text


def _minutes(value: Any, key: str) -> int | None:
    if value in (None, 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError("must be a whole number of minutes (0 or null: never)", key=key)
    return value


def _timeout(value: Any) -> int:
    if value is None:
        return DEFAULT_TIMEOUT_SECS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError("must be a positive number of seconds", key="timeout_secs")
    return value


def _dataset_exists(session: Any, dataset_id: str) -> None:
    if session.get(DatasetRow, dataset_id) is None:
        raise NotFoundError("dataset", dataset_id)
