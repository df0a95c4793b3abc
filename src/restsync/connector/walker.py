"""Walks an API's pages in order, overlapping network waits with the caller's work.

Two ways to hide latency, chosen per page:
- burst: when the paginator can address every remaining page up front (page/offset with a known
  total), `concurrency` workers fetch them while pages are yielded in order;
- prefetch: otherwise the next request (which depends on this response) is sent in the background
  while the caller maps the page just yielded.
Either way at most `concurrency` requests are on the wire and at most twice that many pages are
held at once, so memory stays flat.

A collection that shifts while it is walked (a total that changes, items listed twice) ends a
burst: the rest goes one page at a time, items the previous pages already held are dropped, and
the report lists the shifts so that no deletion is based on the listing. A burst that cannot tell
what it missed reports the walk truncated.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from restsync.clock import Clock
from restsync.connector.recent import Identify, RecentItems, item_identity
from restsync.connector.report import WalkReport
from restsync.errors import ClientRequestError
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
        identify: Identify | None = None,
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
        self._recent = RecentItems(identify or item_identity(None))
        self._fetched = 0  # responses read, kept or not: what max_pages bounds
        self._notes_seen = 0  # paginator shift notes already in the report
        self._unrecovered: str | None = None  # a shift inside a burst that no total explains
        self._resumed = False
        self._end_reason: str | None = None

    def walk(self, base: RequestSpec, resume: dict | None = None) -> Iterator[Page]:
        request = base.copy()
        self._resumed = bool(resume)
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
                try:
                    sent, response, selection = pending.result()
                except ClientRequestError as error:
                    if not self._paginator.probing:
                        raise
                    # Asked past the end the API's total claimed, and refused: the claim holds.
                    self._end_reason = (f"the request past the API's stated total was refused "
                                        f"({error.status}): the end of the data")
                    break
                pending = None
                page = self._read(pages + 1, sent, response, selection, planned=False)
                burst = None
                if page is not None:
                    pages = page.number
                    if pages == 1 and self._concurrency > 1:
                        burst = self._paginator.remaining_requests(sent)
                if burst:
                    yield page
                    for page in self._burst(pool, burst, pages):
                        pages = page.number
                        yield page
                    if self._can_continue():
                        request = sent.copy()
                        self._paginator.update_request(request)
                        pending = pool.submit(self._paced_fetch, request.copy())
                    continue
                if self._can_continue():
                    # Send the next request now; the caller maps this page while it travels.
                    request = sent.copy()
                    self._paginator.update_request(request)
                    pending = self._prefetch(pool, request.copy())
                if page is not None:
                    yield page
        finally:
            _shut_down(pool)
        self._finish(pages)

    def _burst(self, pool: ThreadPoolExecutor, requests: list[RequestSpec], done: int) -> Iterator[Page]:
        """Fetch independently addressable pages concurrently, yielding them in order."""
        allowed = requests[: max(0, self._max_pages - self._fetched)]
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
                duplicates = self._report.duplicates_skipped
                # Gaps can only hide between two planned pages: the first one joins a page read alone.
                page = self._read(number + 1, sent, response, selection, planned=number > done)
                if page is not None:
                    number = page.number
                    yield page
                paginator = self._paginator
                shifted = paginator.burst_broken or self._report.duplicates_skipped > duplicates
                if not paginator.has_next or shifted:
                    # The API ended early (fewer items than its total said), or the collection
                    # shifted under the plan: stop here; the rest goes one page at a time.
                    break
        finally:
            # Requests already on the wire are awaited, not abandoned: the client closes after the
            # walk, and a request cut off by that would fail and retry after the summary.
            for future in queued:
                future.cancel()
            if sys.exc_info()[0] is not KeyboardInterrupt:
                wait([future for future in queued if not future.cancelled()])

    def _read(self, number: int, sent: RequestSpec, response: ApiResponse, selection: ItemSelection,
              *, planned: bool) -> Page | None:
        """Feed one response to the paginator; the page to yield, or None when its items are not to
        be yielded (a repeat, or a page fetched again after a shift)."""
        self._fetched += 1
        paginator = self._paginator
        probe = paginator.probing
        paginator.update_state(response, selection.items)
        for note in paginator.shift_notes[self._notes_seen :]:
            self._report.shift(note)
        self._notes_seen = len(paginator.shift_notes)
        if paginator.discard_page or (probe and not selection.items):
            # A repeat, a page to fetch again, or a look past the total that found nothing (the total
            # was right): no page to show.
            return None
        kept, repeated = self._recent.fresh(selection.items)
        if repeated:
            self._report.duplicates_skipped += repeated
            self._report.shift(f"{repeated} items of page {number} were already listed on the page before")
            if planned and paginator.total_change is None and not paginator.burst_broken:
                # Pages fetched at once saw different states of the collection, and no total says how:
                # items may have fallen between two of them, unseen.
                self._unrecovered = (
                    f"the collection shifted during a concurrent walk ({repeated} items of page {number} "
                    "were already listed, with no change of total): items may have been skipped"
                )
            selection = replace(selection, items=kept)
        self._count(selection)
        return self._page(number, sent, response, selection)

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

    def _can_continue(self) -> bool:
        return self._paginator.has_next and self._fetched < self._max_pages

    def _page(self, number: int, request: RequestSpec, response: ApiResponse, selection: ItemSelection) -> Page:
        checkpoint = self._paginator.checkpoint() if self._checkpoints else None
        return Page(number, request, response, selection, checkpoint)

    def _count(self, selection: ItemSelection) -> None:
        report = self._report
        report.pages += 1
        report.items += len(selection.items)
        report.dropped_items += selection.dropped
        total = self._paginator.total
        if total is not None:
            report.expected_items = max(total, report.items)  # a total proved low is no ceiling

    def _finish(self, pages: int) -> None:
        paginator, report = self._paginator, self._report
        loop = paginator.loop_detected
        if loop:
            report.truncate(f"pagination loop detected: {loop}")
        elif self._unrecovered:
            report.truncate(self._unrecovered)
        elif paginator.has_next and self._fetched >= self._max_pages and not self._end_reason:
            report.truncate(f"max_pages ({self._max_pages}) reached while the API had more pages")
        else:
            report.complete = True
            report.end_reason = self._end_reason or paginator.end_reason
        if report.dropped_items:
            report.warn(f"{report.dropped_items} array entries were not JSON objects and were skipped")
        if report.shifts:
            more = f" and {len(report.shifts) - 1} more changes" if len(report.shifts) > 1 else ""
            report.warn(
                f"the collection changed while it was listed ({report.shifts[0]}{more}): pages were fetched "
                "again one at a time and items listed twice skipped; nothing is deleted after such a listing"
            )
        self._warn_on_totals(pages)

    def _warn_on_totals(self, pages: int) -> None:
        """A total the pages contradicted: say so, as it no longer bounds anything."""
        report = self._report
        undercount = getattr(self._paginator, "undercount", None)
        if undercount is not None:
            claimed, unit = undercount
            found = report.items if unit == "items" else report.pages
            if found > claimed:
                report.warn(f"the API's total said {claimed} {unit}, but its pages went on: "
                            f"{report.items} items listed from {pages} pages")
            return
        total = self._paginator.total
        if (report.complete and total is not None and report.items < total and not report.shifts
                and not self._resumed):
            report.warn(f"the API's total said {total} items, but the listing ended after {report.items}")


def _shut_down(pool: ThreadPoolExecutor) -> None:
    """Cancel what has not started; wait for requests on the wire (unless interrupted), so none is
    cut off when the caller closes the HTTP client."""
    interrupted = sys.exc_info()[0] is KeyboardInterrupt
    pool.shutdown(wait=not interrupted, cancel_futures=True)
