"""One sync run of one source: walk the API, store each batch, then prune and advance the watermark.

The order of effects is what makes a run safe to kill at any point:
1. each batch is upserted (and committed) before the page's checkpoint is saved, so a resumed
   run never skips a page whose documents were not stored;
2. deletions happen only after a full listing that ended without error or truncation, during
   which the collection did not visibly shift (unless forced), and never beyond the allowed share
   of the source unless forced; a document is deleted only when two such listings in a row missed
   it (unless forced), because one listing of a collection changing underneath it can pass over an
   item without any trace (a deletion pulls it onto a page already read);
3. the watermark moves only when the run completes, to the newest `updated_at` it saw, never
   to the wall clock, so an item updated while the run was walking is picked up next time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, Mapping, Sequence

from restsync.clock import Clock, SystemClock
from restsync.document import Document, format_utc
from restsync.sync.pipeline import SyncPipeline
from restsync.sync.result import (
    FAILED, FULL, INCREMENTAL, PARTIAL, SUCCESS, TRUNCATED, PruneOutcome, SyncResult,
)
from restsync.sync import coverage
from restsync.sync.coverage import Keep, finished_slices, kept_collections
from restsync.sync.state import CHECKPOINT_KEY, WATERMARK_KEY, ListingProgress, newer, parse_instant
from restsync.sync.seams import SyncIndex, SyncSource

DEFAULT_OVERLAP = timedelta(minutes=5)  # re-ask this far behind the watermark: late commits, clock skew
DEFAULT_MAX_PRUNE_SHARE = 0.5
RUNNING = "running"  # the status a run has in the store until it is finished
INTERRUPTED_RUNS_SCAN = 100
MAX_SHIFT_NOTES = 20  # kept with a listing's checkpoint: enough to say why nothing was pruned

# connector_factory(config, credentials=..., allow_private=..., clock=...) -> RestApiConnector-like
ConnectorFactory = Callable[..., SyncSource]
ProgressCallback = Callable[[SyncResult], None]


@dataclass
class SyncOptions:
    full: bool = False  # a full re-listing (with deletion of vanished items) even if a watermark exists
    force_prune: bool = False  # delete vanished documents beyond max_prune_share
    max_prune_share: float = DEFAULT_MAX_PRUNE_SHARE
    overlap: timedelta = DEFAULT_OVERLAP
    allow_private: bool = False
    credentials: Mapping[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # passed to the connector factory
    pipeline: dict[str, Any] = field(default_factory=dict)  # SyncPipeline sizes: max_documents, embed_group


@dataclass(frozen=True, slots=True)
class _Fetched:
    batch: list[Document]
    checkpoint: dict | None
    pages: int  # pages walked when this batch arrived
    shifts: list[str]  # the listing's shift notes when this batch arrived


def default_connector_factory(config: Any, **kwargs: Any) -> SyncSource:
    from restsync.connector import RestApiConnector

    return RestApiConnector(config, **kwargs)


class SourceSync:
    """Sync one source of a knowledge base. `result` is live: read it while running or after a failure."""

    def __init__(
        self,
        kb: SyncIndex,
        source: str,
        config: Any,
        options: SyncOptions | None = None,
        *,
        clock: Clock | None = None,
        connector_factory: ConnectorFactory | None = None,
        on_progress: ProgressCallback | None = None,
    ):
        self._kb = kb
        self._source = source
        self._config = config
        self._options = options or SyncOptions()
        self._clock = clock or SystemClock()
        self._factory = connector_factory or default_connector_factory
        self._on_progress = on_progress
        self.result = SyncResult(source=source, mode=FULL)

    def run(self) -> SyncResult:
        """Run to the end; on any error the run is recorded as failed, its checkpoint kept, and the error re-raised.
        One run per source at a time (SyncInProgressError otherwise): two concurrent listings would each
        prune the documents the other had marked seen."""
        with self._kb.lock_source(self._source):
            self._close_interrupted_runs()
            return self._run_locked()

    def _close_interrupted_runs(self) -> None:
        """A run still marked running while we hold the lock was killed (kill -9, power loss): close it."""
        for run in self._kb.list_runs(self._source, limit=INTERRUPTED_RUNS_SCAN):
            if run.status == RUNNING:
                self._kb.finish_run(run.id, FAILED, dict(run.counts),
                                    error="interrupted: the process stopped before the run finished")

    def _run_locked(self) -> SyncResult:
        kb, source, options = self._kb, self._source, self._options
        started = self._clock.monotonic()
        watermark = kb.get_state(source, WATERMARK_KEY)
        listing = self._resumable_listing() or self._new_listing(watermark)
        result = self.result
        result.mode = listing.mode
        result.window_start = listing.window_start
        result.watermark = watermark
        result.run_id = run_id = kb.start_run(source, listing.mode)
        if listing.listing_id is None:
            listing.listing_id = run_id
        else:
            result.resumed = True
        result.counts = listing.counts
        result.pages = listing.pages
        connector = None
        try:
            connector = self._factory(
                self._config, credentials=options.credentials, allow_private=options.allow_private,
                clock=self._clock, **options.extra,
            )
            coverage.prepare(connector, kb, source)
            self._walk(connector, listing)
            report = connector.report
            coverage.remember(kb, source, report, listing.mode == FULL)
            result.warnings = list(report.warnings)
            keep = kept_collections(report)
            if report.truncated:
                result.status = TRUNCATED
                result.truncation_reason = report.truncation_reason
                result.prune = PruneOutcome(refused_reason=f"listing truncated: {report.truncation_reason}")
                result.watermark = newer(watermark, finished_slices(report))
            else:
                result.status = SUCCESS
                if listing.mode == FULL and listing.shifts and not options.force_prune:
                    self._keep_after_shift(listing, keep)
                elif listing.mode == FULL:
                    self._prune(listing, keep)
                else:
                    result.prune = PruneOutcome(refused_reason="incremental run: vanished items are found by a full sync")
                skip_risk = getattr(report, "skip_risk", None)
                if skip_risk:
                    # Items may be missing although the listing ended cleanly: the next run must
                    # ask for this window again (a full listing when there is no watermark yet).
                    result.status = PARTIAL
                    result.partial_reason = skip_risk
                elif keep:  # some children were not listed: their window must be asked for again
                    result.status = PARTIAL
                else:
                    result.watermark = newer(watermark, parse_instant(listing.newest_seen))
            if result.watermark != watermark:
                kb.set_state(source, WATERMARK_KEY, result.watermark)
            # A truncated listing starts over next time rather than resuming past the page cap.
            kb.set_state(source, CHECKPOINT_KEY, None)
        except BaseException as error:  # KeyboardInterrupt too: the run must not stay "running"
            result.status = FAILED
            result.error = _describe(error)
            if isinstance(error, Exception) and not result.prune.attempted:
                result.prune = PruneOutcome(refused_reason=f"listing failed: {result.error}")
            result.elapsed_s = self._clock.monotonic() - started
            _finish_quietly(kb, run_id, result)
            raise
        finally:
            if connector is not None and hasattr(connector, "close"):
                connector.close()
        result.elapsed_s = self._clock.monotonic() - started
        kb.finish_run(run_id, result.status, result.counts.to_dict(), error=None, watermark=result.watermark)
        return result

    # -- the walk ----------------------------------------------------------------------------------

    def _walk(self, connector: SyncSource, listing: ListingProgress) -> None:
        """Fetch, chunk, embed and store as a pipeline (`pipeline.py`): batches are stored, and
        their checkpoints saved, in the order they were fetched."""
        kb, source, result = self._kb, self._source, self.result
        start = parse_instant(listing.window_start)
        base_pages = listing.pages
        base_shifts = list(listing.shifts)
        batches = connector.load_from_checkpoint(listing.connector_checkpoint, start=start)
        can_plan = hasattr(kb, "plan_upsert")
        pending: dict[str, str] = {}  # doc id -> content hash, planned but not stored yet

        def fetched() -> Iterator[_Fetched]:
            try:
                for batch, checkpoint in batches:  # the page count as of this batch, read as it arrives
                    yield _Fetched(batch, checkpoint, base_pages + connector.report.pages,
                                   _shifts(base_shifts, connector.report))
            finally:
                close = getattr(batches, "close", None)
                if close is not None:
                    close()

        def plan(page: _Fetched) -> tuple[Any, Sequence[str]]:
            if not page.batch or not can_plan:
                return None, ()
            upsert = kb.plan_upsert(source, page.batch, pending=pending)
            pending.update((record.doc_id, record.content_hash) for record in upsert.records)
            return upsert, upsert.texts_to_embed

        def store(page: _Fetched, upsert: Any, vectors: Any) -> None:
            if page.batch:
                if vectors is not None:
                    upsert.fill(vectors)
                self._store(page.batch, listing, upsert)
                for record in upsert.records if upsert is not None else ():
                    if pending.get(record.doc_id) == record.content_hash:
                        del pending[record.doc_id]
            result.pages = page.pages
            listing.shifts = page.shifts
            if page.checkpoint is not None:
                listing.connector_checkpoint = page.checkpoint
                listing.pages = result.pages
                kb.set_state(source, CHECKPOINT_KEY, listing.to_json())
            if self._on_progress is not None:
                self._on_progress(result)

        pipeline = SyncPipeline(plan=plan, embed=lambda texts: kb.embedder.embed(texts), store=store,
                                size=lambda page: len(page.batch), merge=_merge_fetched, **self._options.pipeline)
        pipeline.run(fetched())
        listing.shifts = _shifts(base_shifts, connector.report)

    def _store(self, batch: list[Document], listing: ListingProgress, prepared: Any = None) -> None:
        counts = listing.counts
        try:
            if prepared is None:
                upserted = self._kb.upsert_documents(self._source, batch, run_id=listing.listing_id)
            else:
                upserted = self._kb.upsert_documents(self._source, batch, run_id=listing.listing_id, prepared=prepared)
        except Exception:
            counts.failed += len(batch)
            raise
        counts.fetched += len(batch)
        counts.add_upsert(upserted)
        newest = max((doc.doc_updated_at for doc in batch if doc.doc_updated_at is not None), default=None)
        listing.newest_seen = newer(listing.newest_seen, newest)

    def _prune(self, listing: ListingProgress, keep: Keep) -> None:
        options, result = self._options, self.result
        outcome = self._kb.prune_unseen(
            self._source, listing.listing_id, max_share=options.max_prune_share, force=options.force_prune,
            confirm=True, **({"keep": keep} if keep else {}),
        )
        result.counts.deleted += outcome.deleted
        result.prune = PruneOutcome(
            attempted=True, deleted=outcome.deleted, would_delete=outcome.would_delete,
            refused_reason=outcome.refused, marked_missing=outcome.marked,
        )
        if outcome.refused:
            result.status = PARTIAL

    def _keep_after_shift(self, listing: ListingProgress, keep: Keep) -> None:
        """The collection changed while it was listed: items that moved may have been passed over
        unseen, so what this listing lacks is no proof that anything is gone. Nothing is deleted;
        the run is partial only if there was something to delete."""
        # max_share 0 refuses any deletion and reports how many documents it would have removed.
        unseen = self._kb.prune_unseen(self._source, listing.listing_id, max_share=0.0, force=False,
                                       **({"keep": keep} if keep else {})).would_delete
        if not unseen:
            return
        self.result.status = PARTIAL
        self.result.prune = PruneOutcome(would_delete=unseen, refused_reason=(
            f"the collection changed while it was listed ({listing.shifts[0]}), so the listing is no proof "
            "they are gone; the next full sync of a quiet collection prunes them"))

    # -- which listing this run does ---------------------------------------------------------------

    def _resumable_listing(self) -> ListingProgress | None:
        saved = ListingProgress.from_json(self._kb.get_state(self._source, CHECKPOINT_KEY))
        if saved is None or saved.listing_id is None:
            return None
        if self._options.full and saved.mode != FULL:
            return None  # an incremental listing in progress cannot serve a requested full one
        return saved

    def _new_listing(self, watermark: str | None) -> ListingProgress:
        since = parse_instant(watermark)
        incremental = not self._options.full and since is not None and bool(_poll_field(self._config))
        if not incremental:
            return ListingProgress(mode=FULL, listing_id=None, window_start=None)
        start: datetime = since - self._options.overlap
        return ListingProgress(mode=INCREMENTAL, listing_id=None, window_start=format_utc(start))


def sync_source(
    kb: SyncIndex,
    source: str,
    config: Any = None,
    *,
    full: bool = False,
    force_prune: bool = False,
    max_prune_share: float = DEFAULT_MAX_PRUNE_SHARE,
    overlap: timedelta = DEFAULT_OVERLAP,
    allow_private: bool = False,
    credentials: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    connector_factory: ConnectorFactory | None = None,
    on_progress: ProgressCallback | None = None,
) -> SyncResult:
    """Sync `source` into `kb`. `config` (a SourceConfig, mapping or file) defaults to the stored one."""
    from restsync.sync.sources import config_for_sync

    options = SyncOptions(
        full=full, force_prune=force_prune, max_prune_share=max_prune_share, overlap=overlap,
        allow_private=allow_private, credentials=credentials,
    )
    resolved = config_for_sync(kb, source, config)
    engine = SourceSync(kb, source, resolved, options, clock=clock,
                        connector_factory=connector_factory, on_progress=on_progress)
    return engine.run()


def _merge_fetched(pages: Sequence[_Fetched]) -> list[_Fetched]:
    """Consecutive fetched batches as fewer, to plan and store together (one transaction, and the
    checkpoint of the last batch saved once), stored exactly as they would be one by one:
    - a batch repeating an id of the batches before it starts a new one, so the second copy is
      counted as it would be on its own (unchanged, or updated);
    - a merged batch ends with a batch that carries a checkpoint, unless none of its batches
      does (mid-page batches carry none), so the checkpoint saved is the one of its last batch."""
    runs: list[list[_Fetched]] = [[]]
    ids: set[str] = set()
    for page in pages:
        batch_ids = {doc.id for doc in page.batch}
        if runs[-1] and not ids.isdisjoint(batch_ids):
            runs.append([])
            ids = set()
        runs[-1].append(page)
        ids |= batch_ids
    merged: list[_Fetched] = []
    for run in runs:
        last_checkpoint = max((i for i, page in enumerate(run) if page.checkpoint is not None), default=len(run) - 1)
        merged.append(_joined(run[: last_checkpoint + 1]))
        if last_checkpoint + 1 < len(run):
            merged.append(_joined(run[last_checkpoint + 1 :]))
    return merged


def _joined(pages: list[_Fetched]) -> _Fetched:
    if len(pages) == 1:
        return pages[0]
    last = pages[-1]
    return _Fetched([doc for page in pages for doc in page.batch], last.checkpoint, last.pages, last.shifts)


def _poll_field(config: Any) -> str | None:
    if isinstance(config, Mapping):
        return config.get("poll_timestamp_field")
    return getattr(config, "poll_timestamp_field", None)


def _shifts(earlier: list[str], report: Any) -> list[str]:
    """The listing's shift notes: those before a resume, then this walk's (a report without them: none)."""
    return (earlier + list(getattr(report, "shifts", None) or []))[:MAX_SHIFT_NOTES]


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _finish_quietly(kb: SyncIndex, run_id: Any, result: SyncResult) -> None:
    """Record the failure without masking the error that caused it."""
    try:
        kb.finish_run(run_id, FAILED, result.counts.to_dict(), error=result.error, watermark=result.watermark)
    except Exception:  # noqa: BLE001 - the original error is the one worth raising
        pass
