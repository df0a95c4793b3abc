"""What the sync engine needs from its two neighbours, named: the index it writes (`SyncIndex`,
implemented by `KnowledgeBase`) and the source it reads (`SyncSource`, implemented by
`RestApiConnector`). A second index backend, or the server's own wrapper, implements these
rather than whatever `engine.py` happens to call.

Structural protocols (as `restsync.kb.store.base.Store` and `restsync.clock.Clock`): nothing needs to
inherit from them; the runtime checks in the tests keep the real classes in line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ContextManager, Iterator, Mapping, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    from restsync.document import Document
    from restsync.kb.types import PruneResult, RunInfo, UpsertCounts


@runtime_checkable
class SyncIndex(Protocol):
    """The index side: runs, per-source state (watermark, checkpoint), documents and pruning."""

    def lock_source(self, source: str) -> ContextManager[Any]:
        """Held for the whole run: a second run of the same source raises SyncInProgressError."""

    def start_run(self, source: str, mode: str) -> int: ...

    def finish_run(self, run_id: int, status: str, counts: dict, error: str | None = None,
                   watermark: str | None = None) -> None: ...

    def list_runs(self, source: str | None = None, limit: int = 10) -> Sequence[RunInfo]: ...

    def get_state(self, source: str, key: str) -> Any | None: ...

    def set_state(self, source: str, key: str, value: Any) -> None:
        """JSON-serialisable `value`; None clears the key."""

    def upsert_documents(self, source: str, docs: list[Document], *, run_id: int) -> UpsertCounts:
        """Write new and changed documents (chunked and embedded) and mark all of `docs` seen in `run_id`."""

    def prune_unseen(self, source: str, run_id: int, *, max_share: float = 0.5, force: bool = False,
                     keep: Mapping[str, Sequence[Any]] | None = None) -> PruneResult:
        """Delete the documents `run_id` did not see, unless they exceed `max_share` (then refuse, and
        say so); `keep` (metadata key -> values) spares documents the listing could not cover."""

    # Optional: `plan_upsert(source, docs, *, pending)` lets the engine chunk and embed ahead of
    # storing (the pipelined sync); an index without it is written batch by batch.


class SourceReport(Protocol):
    """What the engine reads from a walk's report while it runs and after it ends."""

    pages: int
    warnings: list[str]
    truncated: bool
    truncation_reason: str | None


@runtime_checkable
class SyncSource(Protocol):
    """The source side: a resumable walk in batches, with its report."""

    report: SourceReport  # `restsync.connector.report.WalkReport`; `shifts` is read when present

    def load_from_checkpoint(self, checkpoint: dict | None, start: Any = None,
                             end: Any = None) -> Iterator[tuple[list[Document], dict | None]]:
        """Batches of documents, each with the checkpoint to resume after it (None mid-page)."""

    def close(self) -> None: ...
