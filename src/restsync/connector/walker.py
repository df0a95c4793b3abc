"""Walks an API's pages in order, overlapping network waits with the caller's work.

Three ways to hide latency, chosen per page:
- burst: when the paginator can address every remaining page up front (page/offset with a known
  total), workers fetch them while pages are yielded in order;
- speculative burst: page/offset without a total, after a full page: the next pages are fetched
  ahead in the same way; the first empty page (or a refusal after a short page) ends the walk,
  responses past it are never read, and requests not yet sent are cancelled;
- prefetch: otherwise the next request (which depends on this response) is sent in the background
  while the caller maps the page just yielded.
How many requests run ahead adapts (`width.py`: latency against the caller's time per page, rate
limits, `requests_per_second`); at most `concurrency` are on the wire and at most twice that many
pages are held at once, so memory stays flat.

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
from restsync.connector.width import BurstWidth
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


class _Plan:
    """Requests to fetch ahead: a fixed list (a total addressed every page), or one grown on demand
    while the paginator can still address pages speculatively."""

    def __init__(self, requests: list[RequestSpec], speculate: Callable[[int], list[RequestSpec]] | None = None):
        self._queue = deque(requests)
        self._speculate = speculate

    @property
    def speculative(self) -> bool:
        return self._speculate is not None

    def take(self, count: int) -> list[RequestSpec]:
        taken = [self._queue.popleft() for _ in range(min(count, len(self._queue)))]
        if self._speculate is not None and len(taken) < count:
            taken += self._speculate(count - len(taken))
        return taken


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
        requests_per_second: float | None = None,
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
        self._sequential = False  # the collection shifted: no more pages fetched ahead
        self._width = BurstWidth(self._concurrency, requests_per_second=requests_per_second)

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
                    if not self._refused_past_end(error):
                        raise
                    break
                pending = None
                self._observe(response)
                page = self._read(pages + 1, sent, response, selection, planned=False)
                if page is not None:
                    pages = page.number
                plan = self._plan(sent, pages)
                if plan is not None:
                    if page is not None:
                        yield page
                    for page in self._window(pool, plan, pages):
                        pages = page.number
                        yield page
                    if self._can_continue() and self._end_reason is None:
                        request = sent.copy()
                        self._paginator.update_request(request)
                        pending = self._prefetch(pool, request.copy())
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

    def throttled(self) -> None:
        """The API signalled a rate limit: keep fewer requests ahead for a while."""
        self._width.throttled()

    def _plan(self, sent: RequestSpec, pages: int) -> _Plan | None:
        """The pages to fetch ahead after the one just read, if any: every remaining page when a total
        addresses them (after page one), else the next few while pages come full and no total is known.
        Never after the collection shifted: the rest of such a walk goes one page at a time."""
        if self._concurrency <= 1 or self._sequential or not self._can_continue():
            return None
        paginator = self._paginator
        if pages == 1:
            planned = paginator.remaining_requests(sent)
            if planned:
                return _Plan(planned)
        first = paginator.speculative_requests(sent, 1)
        return _Plan(first, speculate=lambda count: paginator.speculative_requests(sent, count)) if first else None

    def _window(self, pool: ThreadPoolExecutor, plan: _Plan, done: int) -> Iterator[Page]:
        """Fetch planned pages concurrently, `BurstWidth` of them ahead of the caller, yielding them in
        order. A speculative plan stops growing at the first short page; the first empty page (or
        a refusal after a short page) ends it, and responses past the end are never read."""
        queued: deque[Future] = deque()
        number = done
        clock = self._clock
        try:
            while True:
                self._top_up(pool, plan, queued)
                if not queued:
                    break
                try:
                    sent, response, selection = queued.popleft().result()
                except ClientRequestError as error:
                    if not self._refused_past_end(error):
                        raise
                    break
                read_at = clock.monotonic()
                self._observe(response)
                duplicates = self._report.duplicates_skipped
                # Gaps can only hide between two planned pages: the first one joins a page read alone.
                page = self._read(number + 1, sent, response, selection, planned=number > done)
                if page is not None:
                    number = page.number
                    yield page
                self._width.observe_work(clock.monotonic() - read_at)
                paginator = self._paginator
                shifted = paginator.burst_broken or self._report.duplicates_skipped > duplicates
                if shifted:
                    # The collection moved under the plan: the rest goes one page at a time.
                    self._sequential = True
                    break
                if not paginator.has_next:
                    break  # the data ended (an empty page, a total reached): later responses are past it
        finally:
            # Requests already on the wire are awaited, not abandoned: the client closes after the
            # walk, and a request cut off by that would fail and retry after the summary. Queued ones
            # that have not started are cancelled: they never reach the API.
            for future in queued:
                future.cancel()
            if sys.exc_info()[0] is not KeyboardInterrupt:
                wait([future for future in queued if not future.cancelled()])

    def _top_up(self, pool: ThreadPoolExecutor, plan: _Plan, queued: deque[Future]) -> None:
        width = self._width
        target = width.target(pages_read=self._fetched if plan.speculative else None)
        if target >= width.ceiling and not plan.speculative:
            # Network-bound: queue up to twice the workers, so a worker picks the next request the
            # moment it is free; at most `concurrency` are ever on the wire (one per worker). Not
            # while the end is unknown: past it, no more than one burst of requests is spent.
            target = 2 * width.ceiling
        room = min(target - len(queued), self._max_pages - self._fetched - len(queued))
        for request in plan.take(room):
            if len(queued) < width.ceiling:
                queued.append(self._send_ahead(pool, self._fetch, request))
            else:  # no worker free to start it now: it waits in the pool's queue
                queued.append(pool.submit(self._fetch, request))

    def _observe(self, response: ApiResponse) -> None:
        self._width.observe_latency(response.elapsed_s)
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip().isdigit():
            self._width.observe_remaining(int(remaining))

    def _refused_past_end(self, error: ClientRequestError) -> bool:
        """A client error where the data may have ended ends the walk: past a total the API claimed, or
        right after a short page (WordPress answers 400 past its last page). Elsewhere it is a failure."""
        paginator = self._paginator
        if paginator.probing:
            self._end_reason = (f"the request past the API's stated total was refused "
                                f"({error.status}): the end of the data")
        elif paginator.last_page_short:
            self._end_reason = (f"the request after a short page was refused ({error.status}): "
                                "the end of the data")
        else:
            return False
        return True

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
            if (planned and paginator.total is not None and paginator.total_change is None
                    and not paginator.burst_broken):
                # Pages fetched at once saw different states of the collection, and a total that did
                # not move says additions and removals cancelled out: items may have fallen between
                # two of them, unseen. (Without any total, items listed again are additions: the
                # pages before held none twice, so nothing fell between them, and the walk goes on one
                # page at a time from here.)
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
        return self._send_ahead(pool, self._paced_fetch, request)

    @staticmethod
    def _send_ahead(pool: ThreadPoolExecutor, fetch: Fetch, request: RequestSpec) -> Future:
        """Submit a request and let its worker put it on the wire before the caller's mapping takes the
        GIL: otherwise the send waits out the interpreter's 5 ms switch interval, per page."""
        started = threading.Event()

        def send() -> tuple[RequestSpec, ApiResponse, ItemSelection]:
            started.set()  # we hold the GIL from here until the socket blocks: the request is sent
            return fetch(request)

        future = pool.submit(send)
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
