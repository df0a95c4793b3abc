"""Page and offset walks without a total: pages fetched ahead after full pages lose and duplicate
nothing, and spend at most one burst of requests past the end of the data.

The end is found from the pages themselves (an empty page, or a refusal right after a short page);
a server that caps the page size, a collection that gains items during the walk and 429s in the
middle of a burst change none of that. Bursts are as wide as `concurrency` here: the fake clock
measures no latency, so the walk cannot tell that fewer would do.
"""

from __future__ import annotations

import pytest

from restsync.clock import FakeClock
from restsync.connector.width import BurstWidth
from restsync.errors import ClientRequestError
from servers.faults import TooManyRequests, every
from servers.harness import assert_unique, connect, load_all
from servers.shifting import ShiftingFeedServer
from servers.untotalled import ITEMS_PATH, UntotalledServer

CONCURRENCY = 8


def entries_config(server, style: str = "page", size: int = 10, **overrides) -> dict:
    if style == "offset":
        pagination = {"offset_param": "offset", "limit_param": "limit", "limit": size}
    else:
        pagination = {"page_param": "page", "page_size_param": "per_page", "page_size": size}
    return {"url": server.url(ITEMS_PATH), "items_path": "$.items", "pagination_type": style,
            "pagination_config": pagination, "id_field": "id", "title_field": "title",
            "content_fields": ["title", "body"], "concurrency": CONCURRENCY, **overrides}


def numbers(docs) -> list[int]:
    return sorted(int(doc.semantic_identifier.split()[1]) for doc in docs)


def positions(server, style: str) -> list[int]:
    return sorted(int(r.param("offset" if style == "offset" else "page")) for r in server.requests)


@pytest.mark.parametrize("style", ["page", "offset"])
@pytest.mark.parametrize("count", [203, 200, 7, 0])  # ends mid-page, on a full page, on page one, empty
def test_a_collection_ending_mid_burst_loses_and_duplicates_nothing(serve, clock, style, count):
    server = serve(UntotalledServer(count))
    connector = connect(entries_config(server, style), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, count + 1))
    assert_unique(docs)
    report = connector.report
    assert report.complete and not report.truncated and not report.shifted
    assert report.warnings == []
    asked = positions(server, style)
    assert len(asked) == len(set(asked))  # each page once
    needed = count // 10 + 1  # the pages of data, then one empty page
    assert needed <= len(asked) <= needed + CONCURRENCY  # never more than one burst past the end
    assert server.answered_past_end <= CONCURRENCY + 1


def test_a_burst_grows_with_the_pages_read(serve, clock):
    """Without a total, page one alone is followed by one request (as a walk one page at a time
    would send): a one-page collection costs one extra request, not a burst."""
    server = serve(UntotalledServer(7))
    load_all(connect(entries_config(server), clock))
    assert positions(server, "page") == [1, 2]


@pytest.mark.parametrize("style", ["page", "offset"])
def test_a_server_capping_the_page_size_loses_nothing(serve, clock, style):
    """Asked for 100 a page, the server serves 50: the served size is what full means, and offsets
    step by what arrived."""
    server = serve(UntotalledServer(1_234, cap=50))
    connector = connect(entries_config(server, style, size=100), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, 1_235))
    assert_unique(docs)
    assert connector.report.complete
    asked = positions(server, style)
    step = 50 if style == "offset" else 1
    first = 0 if style == "offset" else 1
    assert asked == [first + step * n for n in range(len(asked))]
    assert 26 <= len(asked) <= 26 + CONCURRENCY


@pytest.mark.parametrize("style", ["page", "offset"])
def test_a_refusal_after_a_short_page_is_the_end(serve, clock, style):
    """The API answers 400 past its last page (WordPress does): after a short page that is the end,
    and the refusals of the other requests of the burst are never read."""
    server = serve(UntotalledServer(95, past_end="error"))
    connector = connect(entries_config(server, style), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, 96))
    assert_unique(docs)
    report = connector.report
    assert report.complete and not report.truncated
    assert report.end_reason == "the request after a short page was refused (400): the end of the data"


def test_a_refusal_after_a_full_page_fails_the_walk(serve, clock):
    """After a full page a 400 may be a real fault (a deep-paging limit): the walk fails rather
    than calling the listing complete."""
    server = serve(UntotalledServer(100, past_end="error"))
    connector = connect(entries_config(server), clock)
    with pytest.raises(ClientRequestError) as caught:
        load_all(connector)
    assert caught.value.status == 400
    assert "page=11" in str(caught.value)


@pytest.mark.parametrize("style", ["page", "offset"])
def test_429s_inside_bursts_lose_and_duplicate_nothing(serve, style):
    clock = FakeClock()
    server = serve(UntotalledServer(437))
    limit = TooManyRequests(every(4), now=clock.time, wait_s=2)
    server.with_fault(limit)
    connector = connect(entries_config(server, style), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, 438))
    assert_unique(docs)
    assert connector.report.complete
    assert limit.hits and clock.sleeps  # waited out on the fake clock, never for real
    answered = [r for n, r in enumerate(server.requests, 1) if n not in set(limit.hits)]
    asked = positions(type("S", (), {"requests": answered})(), style)
    assert len(asked) == len(set(asked))  # every page answered once


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("style", ["offset", "page"])
def test_feed_gaining_items_without_a_total_loses_nothing(serve, clock, style, seed):
    """Newest first, items added before every answer, no total: pages fetched ahead see different
    states. The first page listing items again ends the burst (the pages before it held none twice,
    so nothing fell between them), and the rest goes one page at a time. (At the tail of such a
    feed, a short page pushed on whole by new items looks like a repeated last page, which may end
    the walk as a loop, reported truncated: over-cautious, never a loss.)"""
    server = serve(ShiftingFeedServer(100, seed=seed, max_inserts=3, totals=False))
    config = entries_config(server, style)
    config["url"] = server.url("/api/feed")
    connector = connect(config, clock)
    docs = load_all(connector)
    assert_unique(docs)
    assert server.survivors - {int(doc.semantic_identifier.split()[1]) for doc in docs} == set()
    report = connector.report
    assert report.complete or report.truncation_reason.startswith("pagination loop detected")
    assert report.shifted == bool(report.duplicates_skipped)


@pytest.mark.parametrize("key", ["total", "count", "total_count"])
def test_a_total_the_body_offers_unasked_sizes_the_burst(serve, clock, key):
    server = serve(UntotalledServer(95, total_key=key))
    connector = connect(entries_config(server), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, 96))
    assert positions(server, "page") == list(range(1, 11))  # exactly the pages there are
    assert connector.report.expected_items == 95 and connector.report.warnings == []


def test_a_count_of_the_page_alone_is_not_taken_for_a_total(serve, clock):
    """`count` equal to the items on page one may count that page only: no total is read from it."""
    server = serve(UntotalledServer(10, total_key="count"))
    connector = connect(entries_config(server), clock)
    assert len(load_all(connector)) == 10
    assert connector.report.expected_items is None and connector.report.warnings == []


# -- how wide a burst is -------------------------------------------------------------------------


def width_after(latency: float, work: float, **kwargs) -> BurstWidth:
    width = BurstWidth(8, **kwargs)
    for _ in range(5):
        width.observe_latency(latency)
        width.observe_work(work)
    return width


def test_low_latency_keeps_two_requests_ahead():
    assert width_after(0.001, 0.003).target() == 2  # more would only contend for the interpreter lock


def test_high_latency_fills_the_concurrency():
    assert width_after(0.020, 0.003).target() == 8
    assert width_after(0.010, 0.003).target() == 5


def test_latency_is_the_least_recent_round_trip():
    width = width_after(0.001, 0.003)
    width.observe_latency(0.050)  # a response that waited for the interpreter lock
    assert width.target() == 2


def test_rate_limits_narrow_the_burst_and_clean_pages_widen_it_again():
    width = width_after(0.020, 0.003)
    width.throttled()
    assert width.target() == 4
    width.throttled()
    assert width.target() == 2
    for _ in range(30):
        width.observe_work(0.003)
    assert width.target() == 8


def test_requests_per_second_and_remaining_budget_bound_the_burst():
    assert width_after(0.020, 0.003, requests_per_second=100).target() == 3  # 2 can start per round trip
    width = width_after(0.020, 0.003)
    width.observe_remaining(3)
    assert width.target() == 3


def test_speculation_never_runs_further_ahead_than_the_pages_read():
    width = width_after(0.020, 0.003)
    assert width.target(pages_read=1) == 1
    assert width.target(pages_read=5) == 5
    assert width.target(pages_read=50) == 8
