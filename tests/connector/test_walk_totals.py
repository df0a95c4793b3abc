"""Totals that are wrong, and a walk that stops early with requests in flight.

What the pages show beats what the total claims: a full page where the total says the data ends
is followed up, a total far above what was found is reported, and a burst that ends early waits
for its requests on the wire, so none fails after the summary on a closed client.
"""

from __future__ import annotations

import logging

import pytest

from restsync.connector import RestApiConnector
from servers.harness import assert_unique, connect, load_all
from servers.undercount import ITEMS_PATH, MiscountingServer
from servers.wordpress import WordPressServer


def counted_config(server: MiscountingServer, style: str = "page", **overrides) -> dict:
    if style == "offset":
        pagination = {"offset_param": "offset", "limit_param": "limit", "limit": 10, "total_path": "$.total"}
    else:
        pagination = {"page_param": "page", "page_size_param": "per_page", "page_size": 10, "total_path": "$.total"}
    return {"url": server.url(ITEMS_PATH), "items_path": "$.items", "pagination_type": style,
            "pagination_config": pagination, "id_field": "id", "content_fields": ["title", "body"], **overrides}


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize("style", ["page", "offset"])
def test_a_total_that_under_counts_does_not_end_the_walk(serve, clock, style, concurrency):
    server = serve(MiscountingServer(95, claimed=50))
    connector = connect(counted_config(server, style, concurrency=concurrency), clock)
    docs = load_all(connector)
    assert len(docs) == 95
    assert_unique(docs)
    report = connector.report
    assert report.complete and report.items == 95
    assert report.expected_items == 95  # the progress line no longer says "50 of 50"
    assert "the API's total said 50 items, but its pages went on: 95 items listed from 10 pages" in report.warnings


def test_a_total_page_count_that_under_counts_does_not_end_the_walk(serve, clock):
    server = serve(MiscountingServer(95, claimed=50))
    config = counted_config(server)
    config["pagination_config"] = {"page_param": "page", "page_size_param": "per_page", "page_size": 10,
                                   "total_pages_path": "$.pages"}
    server.handle = _with_pages(server.handle, 3)
    connector = connect(config, clock)
    assert len(load_all(connector)) == 95
    assert any("total said 3 pages" in warning for warning in connector.report.warnings)


def _with_pages(handle, pages):
    def handle_with_pages(request):
        reply = handle(request)
        reply.json["pages"] = pages
        return reply
    return handle_with_pages


def test_an_exact_total_ending_on_a_full_page_costs_one_look_and_no_warning(serve, clock):
    server = serve(MiscountingServer(100, claimed=100))
    connector = connect(counted_config(server), clock)
    docs = load_all(connector)
    assert len(docs) == 100
    assert sorted(int(r.param("page")) for r in server.requests) == list(range(1, 12))
    report = connector.report
    assert report.complete and report.pages == 10  # the empty look past the end is no page
    assert report.warnings == []


def test_a_total_far_above_what_exists_is_reported(serve, clock):
    server = serve(MiscountingServer(95, claimed=10_000))
    connector = connect(counted_config(server), clock)
    docs = load_all(connector)
    assert len(docs) == 95
    report = connector.report
    assert report.complete
    assert "the API's total said 10000 items, but the listing ended after 95" in report.warnings


def test_a_refused_look_past_the_total_confirms_it(serve, clock):
    """WordPress answers 400 for a page past its last one: that is the end, not a failure."""
    server = serve(WordPressServer(40))
    config = {"url": server.url("/wp-json/wp/v2/posts"), "pagination_type": "page",
              "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 10},
              "id_field": "id", "content_fields": ["title.rendered"]}
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(docs) == 40
    report = connector.report
    assert report.complete and not report.truncated
    assert report.end_reason == "the request past the API's stated total was refused (400): the end of the data"
    assert sorted(int(r.param("page")) for r in server.requests) == [1, 2, 3, 4, 5]


def test_a_burst_that_ends_early_leaves_no_request_in_flight(serve, clock, caplog):
    """The total claims 40 pages, the data ends on page 10: pages queued past the end are still on
    the wire when the walk ends. They are awaited, so none is cut off by closing the client (which
    logged "connection error ... retry 1 of 4" lines after the summary)."""
    server = serve(MiscountingServer(95, claimed=400, hold_s=0.3))
    caplog.set_level(logging.INFO, logger="restsync")
    connector: RestApiConnector = connect(counted_config(server), clock)
    docs = load_all(connector)
    past_end = [r for r in server.requests if int(r.param("page")) > 11]  # page 11 is the empty one
    assert len(past_end) > 1, "the scenario needs requests past the end"
    # Every request the walk sent was answered before the walk returned.
    assert server.answered_past_end == len(past_end)
    logged = len(caplog.records)
    connector.close()
    server.release.set()
    assert len(docs) == 95 and connector.report.complete
    assert caplog.records[logged:] == []
    assert not [r for r in caplog.records if "retry" in r.getMessage()]
