"""Walks an API's pages in order, overlapping network waits with the caller's work.

Two ways to hide latency, chosen per page:
- burst: when the paginator can address every remaining page up front (page/offset with a known
  total), `concurrency` workers fetch them while pages are yielded in order;
- prefetch: otherwise the next request (which depends on this response) is sent in the background
  while the caller maps the page just yielded.
Either way at most `concurrency` requests are on the wire and at most twice that many pages are
held at once, so memory stays flat.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

from restsync.clock import Clock
from restsync.connector.report import WalkReport
from restsync.extraction.items import ItemSelection
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination import Paginator

_HANDOFF_TIMEOUT_S = 0.05  # never block the caller longer than this waiting for a worker to start

# fetch(request) -> (the request as sent, its response, the items selected from it)
Fetch = Callable[[RequestSpec], tuple[RequestSpec, ApiResponse, ItemSelection]]


@dataclass
class Page:
    number: int  # 1-based within this walk
    request: RequestSpec
    response: ApiResponse
    selection: ItemSelection
    checkpoint: dict | None  # resume point after this page (None when the API has no pages)

    @property
    def items(self) -> list[dict]:
        return self.selection.items


class PageWalker:
    def __init__(
        self,
        fetch: Fetch,
        paginator: Paginator,
        report: WalkReport,
        *,
        max_pages: int,
        concurrency: int,
        request_delay: float,
        clock: Clock,
        checkpoints: bool = True,
    ):
        self._fetch = fetch
        self._paginator = paginator
        self._report = report
        self._max_pages = max_pages
        # A configured delay between pages asks for one request at a time.
        self._concurrency = max(1, concurrency) if request_delay <= 0 else 1
        self._delay = request_delay
        self._clock = clock
        self._checkpoints = checkpoints

    def walk(self, base: RequestSpec, resume: dict | None = None) -> Iterator[Page]:
        request = base.copy()
        if resume:
            self._paginator.restore(resume)
            self._paginator.update_request(request)
        else:
            self._paginator.init_request(request)
        pool = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="restsync-page")
        pending: Future | None = pool.submit(self._fetch, request.copy())
        pages = 0
        try:
            while pending is not None:
                sent, response, selection = pending.result()
                pending = None
                pages += 1
                self._paginator.update_state(response, selection.items)
                if self._paginator.repeated_page:
                    break  # this page repeats one already yielded: its items are not new
                self._count(selection)
                burst = self._paginator.remaining_requests(sent) if pages == 1 and self._concurrency > 1 else None
                if burst:
                    yield self._page(pages, sent, response, selection)
                    for page in self._burst(pool, burst, pages):
                        pages = page.number
                        yield page
                    if self._can_continue(pages):
                        request = sent.copy()
                        self._paginator.update_request(request)
                        pending = pool.submit(self._paced_fetch, request.copy())
                    continue
                if self._can_continue(pages):
                    # Send the next request now; the caller maps this page while it travels.
                    request = sent.copy()
                    self._paginator.update_request(request)
                    pending = self._prefetch(pool, request.copy())
                yield self._page(pages, sent, response, selection)
        finally:
            # A caller that stops early must not wait for pages it will never read.
            pool.shutdown(wait=False, cancel_futures=True)
        self._finish(pages)

    def _burst(self, pool: ThreadPoolExecutor, requests: list[RequestSpec], done: int) -> Iterator[Page]:
        """Fetch independently addressable pages concurrently, yielding them in order."""
        allowed = requests[: max(0, self._max_pages - done)]
        queue = deque(allowed)
        queued: deque[Future] = deque()
        number = done
        try:
            while queue or queued:
                # Queue up to twice the workers: a worker picks the next request the moment it is
                # free, while at most `concurrency` requests are ever on the wire (one per worker).
                while queue and len(queued) < 2 * self._concurrency:
                    queued.append(pool.submit(self._fetch, queue.popleft()))
                sent, response, selection = queued.popleft().result()
                number += 1
                self._paginator.update_state(response, selection.items)
                if self._paginator.repeated_page:
                    break
                self._count(selection)
                yield self._page(number, sent, response, selection)
                if not self._paginator.has_next:
                    break  # the API ended early (fewer items than its total said): stop cleanly
        finally:
            for future in queued:
                future.cancel()

    def _paced_fetch(self, request: RequestSpec) -> tuple[RequestSpec, ApiResponse, ItemSelection]:
        if self._delay > 0:
            self._clock.sleep(self._delay)
        return self._fetch(request)

    def _prefetch(self, pool: ThreadPoolExecutor, request: RequestSpec) -> Future:
        """Submit the next request and let its worker put it on the wire before the caller's mapping
        takes the GIL: otherwise the send waits out the interpreter's 5 ms switch interval, per page."""
        started = threading.Event()

        def fetch() -> tuple[RequestSpec, ApiResponse, ItemSelection]:
            started.set()  # we hold the GIL from here until the socket blocks: the request is sent
            return self._paced_fetch(request)

        future = pool.submit(fetch)
        started.wait(_HANDOFF_TIMEOUT_S)
        return future

    def _can_continue(self, pages: int) -> bool:
        return self._paginator.has_next and pages < self._max_pages

    def _page(self, number: int, request: RequestSpec, response: ApiResponse, selection: ItemSelection) -> Page:
        checkpoint = self._paginator.checkpoint() if self._checkpoints else None
        return Page(number, request, response, selection, checkpoint)

    def _count(self, selection: ItemSelection) -> None:
        self._report.pages += 1
        self._report.items += len(selection.items)
        self._report.dropped_items += selection.dropped
        total = getattr(self._paginator, "total", None)
        if total is not None:
            self._report.expected_items = total

    def _finish(self, pages: int) -> None:
        loop = self._paginator.loop_detected
        if loop:
            self._report.truncate(f"pagination loop detected: {loop}")
        elif self._paginator.has_next and pages >= self._max_pages:
            self._report.truncate(f"max_pages ({self._max_pages}) reached while the API had more pages")
        else:
            self._report.complete = True
        if self._report.dropped_items:
            self._report.warn(
                f"{self._report.dropped_items} array entries were not JSON objects and were skipped"
            )
