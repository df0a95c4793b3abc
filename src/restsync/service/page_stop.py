"""Stopping a sync between pages: the connector wrapped so its walk ends with `SyncCancelled`
right after a page is stored and checkpointed (a cancel, a run's timeout, the server stopping)."""

from __future__ import annotations

from typing import Any, Callable

from restsync.errors import RestSyncError


class SyncCancelled(RestSyncError):
    """Raised at a page boundary to stop a run: cancelled, timed out, or the server stopping."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class StopAtPageBoundary:
    """The connector, with its checkpointed walk ending (SyncCancelled) right after a page whose
    documents are stored and whose checkpoint is saved, once `stop_reason()` gives a reason.

    The sync pipeline fetches ahead of the store, but a walk that ends with an error still has
    every batch fetched before it stored and checkpointed before the error is raised, so stopping
    here loses nothing and the next run resumes after the last page fetched."""

    def __init__(self, connector: Any, stop_reason: Callable[[], str | None]):
        self._connector = connector
        self._stop_reason = stop_reason

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connector, name)

    def load_from_checkpoint(self, checkpoint: Any = None, start: Any = None, end: Any = None) -> Any:
        reason = self._stop_reason()
        if reason:
            raise SyncCancelled(reason)
        batches = self._connector.load_from_checkpoint(checkpoint, start=start, end=end)
        try:
            for batch, page_checkpoint in batches:
                yield batch, page_checkpoint
                if page_checkpoint is not None:
                    reason = self._stop_reason()
                    if reason:
                        raise SyncCancelled(reason)
        finally:
            batches.close()
