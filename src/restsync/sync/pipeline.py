"""Fetch, plan (chunk), embed and store as a pipeline, so a first sync takes as long as the
slower of fetching and embedding, not their sum.

    fetch thread ──> plan (caller) ──> embed thread ──> store (caller, in fetch order)

- The fetch thread runs the page iterator (HTTP, JSON, mapping) ahead of the store.
- The caller's thread plans each batch (which documents changed, their chunks) and stores
  finished batches strictly in the order they were fetched: a checkpoint saved after a stored
  batch therefore never runs ahead of an unstored one.
- The embed thread takes every planned batch waiting for it, up to `embed_group` texts, in one
  call: while it embeds one group the next one fills up, so it always has a full batch waiting.
  When fewer than `min_group` texts wait while the fetch is still running (the very start of a
  sync, or a slow API), it lingers up to `linger_s` for more: a handful of texts costs the
  model nearly as much as a batch of them.

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
DEFAULT_LINGER_S = 0.25  # the most a small group waits for more texts: the embedder is idle then anyway
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
        max_documents: int = DEFAULT_MAX_DOCUMENTS,
        embed_group: int = DEFAULT_EMBED_GROUP,
        min_group: int = DEFAULT_MIN_GROUP,
        linger_s: float = DEFAULT_LINGER_S,
    ):
        if max_documents < 1 or embed_group < 1:
            raise ValueError("max_documents and embed_group must be positive")
        self._plan, self._embed, self._store, self._size = plan, embed, store, size
        self.max_documents = max_documents
        self.embed_group = embed_group
        self.min_group = min(min_group, embed_group)
        self.linger_s = linger_s
        self._fetch_done = threading.Event()
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._to_embed: queue.Queue[Job[T] | None] = queue.Queue()
        self._room = threading.Condition()
        self._in_flight = 0  # documents fetched and not yet stored
        self._stop = threading.Event()
        # What a test or a progress display may read: the most documents ever in flight.
        self.peak_in_flight = 0
        self.embed_calls = 0

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
            kind, *payload = self._inbox.get()
            if self._stop.is_set():
                raise PipelineCancelled("sync cancelled")
            if kind == _FAILED:
                raise payload[0]
            if kind == _FETCH_DONE:
                fetching = False
            elif kind == _FETCH_FAILED:  # store what was fetched before it, then raise it
                fetching, fetch_error = False, payload[0]
            elif kind == _FETCHED:
                job: Job[T] = payload[0]
                job.plan, job.texts = self._plan(job.item)
                waiting.append(job)
                if job.texts:
                    self._to_embed.put(job)
                else:
                    job.ready = True
            # _EMBEDDED: the job was marked ready by the embed thread.
            while waiting and waiting[0].ready:
                if self._stop.is_set():
                    raise PipelineCancelled("sync cancelled")
                done = waiting.popleft()
                self._store(done.item, done.plan, done.vectors)
                self._release(done.size)
        if fetch_error is not None:
            raise fetch_error

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
                try:
                    more = self._to_embed.get(timeout=self.linger_s) if self._more_worth_waiting_for(count) \
                        else self._to_embed.get_nowait()
                except queue.Empty:
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

    def _more_worth_waiting_for(self, count: int) -> bool:
        """A small group, and more batches can still come (the fetch runs and is not held back)."""
        if count >= self.min_group or self.linger_s <= 0 or self._fetch_done.is_set() or self._stop.is_set():
            return False
        with self._room:
            return self._in_flight < self.max_documents
