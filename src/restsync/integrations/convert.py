"""What the framework adapters share: one backend from their arguments, a hit's and a
document's metadata as one flat dict, and the `since`/`until` window of a loader."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from restsync.document import Document
from restsync.errors import ConfigError
from restsync.integrations.backend import LocalBackend, RemoteBackend, SearchBackend
from restsync.timestamps import format_utc, parse_timestamp

# Keys restsync adds to a hit's metadata; they win over item metadata fields of the same name.
HIT_KEYS = ("title", "link", "document_id", "chunk_id", "knowledge_base_id", "source", "score")


def open_backend(
    backend: SearchBackend | None = None,
    *,
    kb_path: str | Path | None = None,
    server_url: str | None = None,
    token: str | None = None,
) -> SearchBackend:
    """Exactly one of: a backend, a local knowledge-base directory, or a server URL (+ token)."""
    given = [name for name, value in (("backend", backend), ("kb_path", kb_path), ("server_url", server_url))
             if value is not None]
    if len(given) != 1:
        raise ConfigError("give exactly one of backend, kb_path or server_url"
                          + (f" (got {', '.join(given)})" if given else ""), key="kb_path")
    if backend is not None:
        return backend
    if kb_path is not None:
        return LocalBackend(kb_path)
    if not token:
        raise ConfigError("a server needs a token (restsync token create)", key="token")
    return RemoteBackend(str(server_url), token)


def hit_metadata(hit: dict[str, Any]) -> dict[str, Any]:
    """The item's metadata, flat, with restsync's citation keys on top."""
    metadata = dict(hit.get("metadata") or {})
    metadata.update({
        "title": hit.get("title") or "",
        "link": hit.get("link"),
        "document_id": hit.get("document_id"),
        "chunk_id": hit.get("chunk_id"),
        "knowledge_base_id": hit.get("kb_id"),
        "source": hit.get("source"),
        "score": float(hit.get("score") or 0.0),
    })
    return metadata


def document_metadata(document: Document) -> dict[str, Any]:
    """A fetched document's metadata, flat, with its id, title, link and update time on top."""
    metadata = dict(document.metadata or {})
    metadata.update({
        "id": document.id,
        "title": document.semantic_identifier,
        "link": document.link,
        "updated_at": format_utc(document.doc_updated_at),
        "source": document.source,
    })
    return metadata


def parse_window(since: Any, until: Any) -> tuple[datetime | None, datetime | None]:
    """`since`/`until` as UTC datetimes: datetimes, epoch seconds or ISO 8601 strings (zone-less = UTC)."""
    start = _moment(since, "since")
    end = _moment(until, "until")
    if start is not None and end is not None and end <= start:
        raise ConfigError(f"{until!r} is not later than since {since!r}: the window would be empty", key="until")
    return start, end


def _moment(value: Any, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    moment = parse_timestamp(value)
    if moment is None:
        raise ConfigError(f"{value!r} is not a date or time (use ISO 8601, e.g. 2024-01-31T00:00:00Z)", key=key)
    return moment
