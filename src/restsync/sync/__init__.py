"""The sync engine: keeps a knowledge base in step with a REST source (full / incremental,
checkpoints, change detection, safe deletions)."""

from restsync.sync.engine import (
    DEFAULT_MAX_PRUNE_SHARE, DEFAULT_OVERLAP, SourceSync, SyncOptions, default_connector_factory, sync_source,
)
from restsync.sync.result import PruneOutcome, SyncCounts, SyncResult
from restsync.sync.sources import add_source, config_for_sync, source_name_for

__all__ = [
    "DEFAULT_MAX_PRUNE_SHARE", "DEFAULT_OVERLAP", "PruneOutcome", "SourceSync", "SyncCounts", "SyncOptions",
    "SyncResult", "add_source", "config_for_sync", "default_connector_factory", "source_name_for", "sync_source",
]
