"""The job-running seam: the API hands work to a `JobRunner` and never runs it itself.

`ThreadJobRunner` runs jobs on a few daemon threads in this process; a distributed queue
(`restsync.scale.queue.QueueJobRunner`) implements the same protocol. Work is cooperative: a job
reads its `CancelToken` at safe points (between pages) and stops there. A token can also `poll`
a request made elsewhere (a cancel recorded in the shared database, for a job on another machine).
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Optional, Protocol

SHUTDOWN = "shutdown"


class CancelToken:
    def __init__(self, poll: Optional[Callable[[], Optional[str]]] = None) -> None:
        """`poll()`: the reason of a cancel requested elsewhere, or None; read each time the work
        asks whether it is cancelled (at a page boundary), until it has said yes once."""
        self._event = threading.Event()
        self._poll = poll
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        if not self._event.is_set() and self._poll is not None:
            reason = self._poll()
            if reason:
                self.cancel(reason)
        return self._event.is_set()


Work = Callable[[CancelToken], None]


class JobRunner(Protocol):
    def submit(self, job_id: str, work: Work) -> None:
        """Queue `work`; it runs when a slot is free (the global concurrency limit)."""
        ...

    def cancel(self, job_id: str, reason: str) -> bool:
        """Ask a queued or running job to stop; False when no such job is active."""
        ...

    def is_active(self, job_id: str) -> bool: ...

    def shutdown(self, *, timeout: float) -> list[str]:
        """Cancel everything (reason SHUTDOWN) and wait up to `timeout` s; returns the ids still running."""
        ...


class ThreadJobRunner:
    def __init__(self, max_workers: int = 2):
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._queue: queue.Queue[tuple[str, Work] | None] = queue.Queue()
        self._tokens: dict[str, CancelToken] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._closed = False
        self._threads = [
            threading.Thread(target=self._serve, name=f"restsync-job-{index}", daemon=True)
            for index in range(max_workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job_id: str, work: Work) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner is shut down")
            self._tokens[job_id] = CancelToken()
        self._queue.put((job_id, work))

    def cancel(self, job_id: str, reason: str) -> bool:
        with self._lock:
            token = self._tokens.get(job_id)
        if token is None:
            return False
        token.cancel(reason)
        return True

    def is_active(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._tokens

    def shutdown(self, *, timeout: float) -> list[str]:
        with self._lock:
            self._closed = True
            tokens = list(self._tokens.values())
        for token in tokens:
            token.cancel(SHUTDOWN)
        for _ in self._threads:
            self._queue.put(None)
        with self._idle:
            self._idle.wait_for(lambda: not self._tokens, timeout=timeout)
            return list(self._tokens)

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            job_id, work = job
            with self._lock:
                token = self._tokens.get(job_id) or CancelToken()
            try:
                work(token)  # a cancelled queued job still runs, to record that it was cancelled
            except BaseException:  # noqa: BLE001 - work records its own failures; a thread must survive
                pass
            finally:
                with self._idle:
                    self._tokens.pop(job_id, None)
                    self._idle.notify_all()
