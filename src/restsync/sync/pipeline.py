"""Fetch, plan (chunk), embed and store as a pipeline, so a first sync takes as long as the
slower of fetching and embedding, not their sum.

    fetch thread ──> plan (caller) ──> embed thread ──> store (caller, in fetch order)

- The fetch thread runs the page iterator (HTTP, JSON, mapping) ahead of the store.
- The caller's thread plans each batch (which documents changed, their chunks) and stores
  finished batches strictly in the order they were fetched: a checkpoint saved after a stored
  batch therefore never runs ahead of an unstored one. Batches that are already waiting when it
  comes to plan are merged (`merge`, up to `merge_documents`) and planned and stored as one:
  a RAGFlow-style `batch_size` of 2 would otherwise cost a store transaction, a vector-file
  fsync and a checkpoint write per two documents, CPU taken from the model on a small machine.
  A slow API hands over one batch at a time, so merging never waits for anything.
- The embed thread takes every planned batch waiting for it, up to `embed_group` texts, in one
  call: while it embeds one group the next one fills up, so it always has a full batch waiting.
  When fewer than `min_group` texts wait while more are coming (fetched batches not planned
  yet, or a fetch still running: the very start of a sync, or a slow API), it lingers for
  them, up to `linger_s` at a time while only the fetch may bring more: a handful of texts
  costs the model nearly as much as a batch of them. (The fetch of a fast API ends long
  before the caller's thread has planned what it fetched: waiting on the fetch alone sent
  the first few texts to the model on their own.)

Memory stays flat: the fetch thread waits while `max_documents` fetched documents are not yet
stored. An error of the fetch (a page that keeps failing, a cancellation at a page boundary)
ends the walk as before the pipeline: every batch fetched before it is still planned, embedded
and stored, then the error is raised. The first error of the other stages stops everything and
is raised in the caller's thread as it was raised; so does a KeyboardInterrupt or `cancel()`. Threads never outlive `run()`
unless a fetch is stuck in a request (they are daemons; closing the connector ends them).
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterable, Sequence, TypeVar

import numpy as np

T = TypeVar("T")
DEFAULT_MAX_DOCUMENTS = 1024  # fetched but not yet stored
DEFAULT_EMBED_GROUP = 256  # texts per embedder call: the embedder sorts them by length and batches
DEFAULT_MIN_GROUP = 64  # one model batch
DEFAULT_LINGER_S = 0.25  # the most a small group waits for a fetch to bring more: the embedder is idle then anyway
DEFAULT_MERGE_DOCUMENTS = 256  # waiting batches planned and stored as one, up to this many documents
_JOIN_AFTER_FAILURE_S = 10.0  # a fetch stuck in a request is left to its timeout, as a daemon

_FETCHED, _EMBEDDED, _FETCH_DONE, _FETCH_FAILED, _FAILED = "fetched", "embedded", "fetch-done", "fetch-failed", "failed"


class PipelineCancelled(Exception):
    """Raised by `run()` after `cancel()`."""


@dataclass
class Job(Generic[T]):
    """One fetched batch on its way through the pipeline."""

    item: T
    size: int  # documents, counted against max_documents
    plan: Any = None
    texts: Sequence[str] = ()
    vectors: np.ndarray | None = None
    ready: bool = False


class SyncPipeline(Generic[T]):
    """`run(items)`: for each item of `items` (iterated on the fetch thread), `plan(item)` ->
    (plan, texts to embed), `embed(texts)` -> vectors, `store(item, plan, vectors)`, in order."""

    def __init__(
        self,
        *,
        plan: Callable[[T], tuple[Any, Sequence[str]]],
        embed: Callable[[Sequence[str]], np.ndarray],
        store: Callable[[T, Any, np.ndarray | None], None],
        size: Callable[[T], int] = lambda item: 1,
        merge: Callable[[Sequence[T]], list[T]] | None = None,
        max_documents: int = DEFAULT_MAX_DOCUMENTS,
        merge_documents: int = DEFAULT_MERGE_DOCUMENTS,
        embed_group: int = DEFAULT_EMBED_GROUP,
        min_group: int = DEFAULT_MIN_GROUP,
        linger_s: float = DEFAULT_LINGER_S,
    ):
        if max_documents < 1 or embed_group < 1 or merge_documents < 1:
            raise ValueError("max_documents, embed_group and merge_documents must be positive")
        self._plan, self._embed, self._store, self._size, self._merge = plan, embed, store, size, merge
        self.max_documents = max_documents
        self.merge_documents = merge_documents
        self.embed_group = embed_group
        self.min_group = min(min_group, embed_group)
        self.linger_s = linger_s
        self._fetch_done = threading.Event()
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._to_embed: queue.Queue[Job[T] | None] = queue.Queue()
        self._room = threading.Condition()
        self._in_flight = 0  # documents fetched and not yet stored
        self._unplanned = 0  # documents fetched and not yet planned: texts on their way to the embedder
        self._stop = threading.Event()
        # What a test or a progress display may read: the most documents ever in flight.
        self.peak_in_flight = 0
        self.embed_calls = 0
        self.plans = 0  # plan() calls: fewer than fetched batches where waiting ones were merged

    def cancel(self) -> None:
        """Stop from any thread: `run()` raises PipelineCancelled once its current step is done."""
        self._halt()
        self._inbox.put((_FAILED, PipelineCancelled("sync cancelled")))  # wakes the caller's thread

    def run(self, items: Iterable[T]) -> None:
        fetcher = threading.Thread(target=self._fetch_loop, args=(items,), name="sync-fetch", daemon=True)
        embedder = threading.Thread(target=self._embed_loop, name="sync-embed", daemon=True)
        fetcher.start()
        embedder.start()
        finished = False
        try:
            self._drive()
            finished = True
        finally:
            self._halt()
            embedder.join(None if finished else _JOIN_AFTER_FAILURE_S)
            fetcher.join(None if finished else _JOIN_AFTER_FAILURE_S)

    # -- the caller's thread: plan and store ------------------------------------------------
    def _drive(self) -> None:
        waiting: deque[Job[T]] = deque()  # planned, stored in this order
        fetching = True
        fetch_error: BaseException | None = None
        while fetching or waiting:
            messages = [self._inbox.get()]
            while True:  # and everything else already there: waiting batches are planned together
                try:
                    messages.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            arrived: list[Job[T]] = []
            for kind, *payload in messages:
                if self._stop.is_set():
                    raise PipelineCancelled("sync cancelled")
                if kind == _FAILED:
                    raise payload[0]
                if kind == _FETCH_DONE:
                    fetching = False
                elif kind == _FETCH_FAILED:  # store what was fetched before it, then raise it
                    fetching, fetch_error = False, payload[0]
                elif kind == _FETCHED:
                    arrived.append(payload[0])
                # _EMBEDDED: the job was marked ready by the embed thread.
            for job in self._merged(arrived):
                job.plan, job.texts = self._plan(job.item)
                self.plans += 1
                waiting.append(job)
                if job.texts:
                    self._to_embed.put(job)
                else:
                    job.ready = True
                with self._room:
                    self._unplanned -= job.size
            while waiting and waiting[0].ready:
                if self._stop.is_set():
                    raise PipelineCancelled("sync cancelled")
                done = waiting.popleft()
                self._store(done.item, done.plan, done.vectors)
                self._release(done.size)
        if fetch_error is not None:
            raise fetch_error

    def _merged(self, jobs: list[Job[T]]) -> list[Job[T]]:
        """Consecutive jobs as fewer ones: runs of up to `merge_documents`, each merged by `merge`
        (which may keep some apart)."""
        if self._merge is None or len(jobs) < 2:
            return jobs
        runs: list[list[Job[T]]] = [[]]
        total = 0
        for job in jobs:
            if runs[-1] and total + job.size > self.merge_documents:
                runs.append([])
                total = 0
            runs[-1].append(job)
            total += job.size
        merged: list[Job[T]] = []
        for run in runs:
            if len(run) == 1:
                merged.extend(run)
                continue
            items = self._merge([job.item for job in run])
            sizes = [self._size(item) for item in items]
            if sum(sizes) != sum(job.size for job in run):
                raise ValueError("merge must keep every document of the batches it merges")
            merged.extend(Job(item=item, size=size) for item, size in zip(items, sizes))
        return merged

    def _release(self, size: int) -> None:
        with self._room:
            self._in_flight -= size
            self._room.notify_all()

    def _halt(self) -> None:
        self._stop.set()
        self._to_embed.put(None)
        with self._room:
            self._room.notify_all()

    # -- the fetch thread ---------------------------------------------------------------------
    def _fetch_loop(self, items: Iterable[T]) -> None:
        iterator = iter(items)
        try:
            while True:
                with self._room:
                    while self._in_flight >= self.max_documents and not self._stop.is_set():
                        self._room.wait()
                if self._stop.is_set():
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    self._fetch_done.set()
                    self._inbox.put((_FETCH_DONE,))
                    return
                size = self._size(item)
                with self._room:
                    self._in_flight += size
                    self._unplanned += size
                    self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
                self._inbox.put((_FETCHED, Job(item=item, size=size)))
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread as it is
            self._fetch_done.set()
            self._inbox.put((_FETCH_FAILED, error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:  # a generator's cleanup (open responses, worker threads) runs here
                try:
                    close()
                except Exception:  # noqa: BLE001 - the first error is the one worth raising
                    pass

    # -- the embed thread ---------------------------------------------------------------------
    def _embed_loop(self) -> None:
        while True:
            job = self._to_embed.get()
            if job is None or self._stop.is_set():
                return
            group = [job]
            count = len(job.texts)
            while count < self.embed_group:
                wait = self._wait_for_more(count)
                try:
                    more = self._to_embed.get(timeout=wait) if wait else self._to_embed.get_nowait()
                except queue.Empty:
                    if wait and self._planning():  # planning is under way: its texts come soon
                        continue
                    break
                if more is None:
                    return
                group.append(more)
                count += len(more.texts)
            try:
                self.embed_calls += 1
                matrix = self._embed([text for member in group for text in member.texts])
                if len(matrix) != count:
                    raise ValueError(f"the embedder returned {len(matrix)} vectors for {count} texts")
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread as it is
                self._inbox.put((_FAILED, error))
                return
            start = 0
            for member in group:
                member.vectors = matrix[start : start + len(member.texts)]
                start += len(member.texts)
                member.ready = True
            self._inbox.put((_EMBEDDED,))

    def _wait_for_more(self, count: int) -> float:
        """How long a group of `count` texts waits for the next batch: 0 when it is big enough or
        nothing more can come soon; `linger_s` while fetched batches are being planned, or the
        fetch runs and is not held back."""
        if count >= self.min_group or self.linger_s <= 0 or self._stop.is_set():
            return 0.0
        if self._planning():
            return self.linger_s
        if self._fetch_done.is_set():
            return 0.0
        with self._room:
            return self.linger_s if self._in_flight < self.max_documents else 0.0

    def _planning(self) -> bool:
        with self._room:
            return self._unplanned > 0 and not self._stop.is_set()
