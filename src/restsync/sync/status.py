"""What a knowledge base holds, per source: counts, watermarks, whether a run will resume, the
last runs. `restsync status` prints it; the server and the integrations report the same (their
knowledge-base listings carry `last_sync_summary`)."""

from __future__ import annotations

from typing import Any

from restsync.errors import ConfigError
from restsync.sync.state import CHECKPOINT_KEY, WATERMARK_KEY
from restsync.timestamps import format_utc, to_utc

# Runs looked at for the last finished one: a few may still be running (one per source).
_RECENT_RUNS = 20


def knowledge_base_status(kb: Any, *, source: str | None = None, runs: int = 5, key: str = "source") -> dict[str, Any]:
    """Sources with their counts, watermarks and last runs: what `status --json` prints. `source`
    narrows it to one source; an unknown one is a ConfigError naming `key` (how the caller spelt it)."""
    sources = [info for info in kb.list_sources() if source is None or info.name == source]
    if source is not None and not sources:
        raise ConfigError(f"no source named {source!r} in this knowledge base", key=key)
    return {
        "kb_id": kb.id,
        "documents": kb.count_documents(source),
        "vectors": kb.vector_health().to_dict(),
        "sources": [
            {
                "name": info.name,
                "documents": kb.count_documents(info.name),
                "watermark": kb.get_state(info.name, WATERMARK_KEY),
                "resumable": kb.get_state(info.name, CHECKPOINT_KEY) is not None,
                "url": (info.config or {}).get("url"),
                "runs": [run_to_dict(run) for run in kb.list_runs(info.name, limit=runs)],
            }
            for info in sources
        ],
    }


def run_to_dict(run: Any) -> dict[str, Any]:
    return {
        "id": run.id, "mode": run.mode, "status": run.status, "started_at": run.started_at,
        "finished_at": run.finished_at, "counts": dict(run.counts or {}), "error": run.error,
        "watermark": run.watermark,
    }


def last_sync_summary(kb: Any) -> dict[str, str | None]:
    """When the knowledge base's latest finished run ended (`last_sync`, ISO 8601 UTC) and how
    (`last_sync_status`); both None before any run finished. Runs still going are passed over."""
    finished = [run for run in kb.list_runs(limit=_RECENT_RUNS) if run.finished_at is not None]
    last = finished[0] if finished else None
    return {
        "last_sync": format_utc(to_utc(last.finished_at)) if last else None,
        "last_sync_status": last.status if last else None,
    }
