"""End to end: APIs that broke RAGFlow's walk (capped page sizes, a repeating last page) and the
incremental window sent to the server through `{poll_start}` / `{poll_end}`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from servers import CappedPageServer, RepeatingLastPageServer, UpdatedSinceServer, sample_items
from servers.harness import assert_mapped, assert_unique, by_title, connect, load_all, poll_all


def test_capped_page_size_loses_nothing(serve, clock):
    server = serve(CappedPageServer(20_000))
    config = {
        "url": server.url("/api/records"),
        "items_path": "$.records",
        "pagination_type": "offset",
        "pagination_config": {"offset_param": "offset", "limit_param": "limit", "limit": 100},
        "id_field": "id", "content_fields": ["title", "body"], "metadata_fields": ["author"],
        "poll_timestamp_field": "modified",
    }
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(docs) == 20_000  # RAGFlow keeps 50: the first short page ended its walk
    assert_unique(docs)
    # 400 pages of 50, then one empty page confirms the end; offsets follow what arrived. Pages are
    # fetched ahead (no total), so at most one burst (concurrency, 8) of requests goes past the end,
    # and no offset is asked twice.
    offsets = sorted(int(r.param("offset")) for r in server.requests)
    assert offsets == [50 * n for n in range(len(offsets))]
    assert 401 <= len(offsets) <= 401 + 8
    assert all(r.param("limit") == "100" for r in server.requests)
    item = sample_items(20_000)[17_998]
    assert_mapped(by_title(docs)[item.title], item, link=None, metadata={"author": item.author})
    assert connector.report.complete and not connector.report.truncated


def test_repeating_last_page_is_the_end(serve, clock):
    server = serve(RepeatingLastPageServer(95))
    config = {
        "url": server.url("/api/v1/articles"),
        "items_path": "$.articles",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 20},
        "id_field": "id", "content_fields": ["title", "body"], "poll_timestamp_field": "updated_at",
        "max_pages": 50,
    }
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(docs) == 95
    assert_unique(docs)
    # Page 6 repeats page 5, page 7 confirms the repeat is the end: not a walk to max_pages. Pages
    # are fetched ahead (no total): each once, at most one burst (concurrency, 8) past page 7.
    requested = sorted(int(r.param("page")) for r in server.requests)
    assert requested == list(range(1, len(requested) + 1))
    assert 7 <= len(requested) <= 7 + 8
    report = connector.report
    assert report.complete and not report.truncated
    assert report.end_reason == "page=6 and page=7 repeated page=5: the end of the data"
    item = sample_items(95)[89]
    assert by_title(docs)[item.title].doc_updated_at == item.updated_at  # "1704..." epoch string


@pytest.mark.parametrize("time_format", ["iso", "epoch"])
def test_poll_window_is_sent_to_the_server(serve, clock, time_format):
    server = serve(UpdatedSinceServer(120))
    config = {
        "url": server.url("/api/changes"),
        "query_params": {"updated_since": "{poll_start}", "updated_until": "{poll_end}", "per_page": "25"},
        "poll_time_format": time_format,
        "items_path": "$.items",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "total_path": "$.total"},
        "id_field": "id", "title_field": "title", "content_fields": ["title", "body"],
        "metadata_fields": ["author"], "poll_timestamp_field": "updated_at",
        "link_template": "https://changes.example.com/{id}",
        "request_delay": 0,
    }
    items = sample_items(120)
    start, end = items[29].updated_at, items[89].updated_at  # items 30..89 are inside [start, end)
    connector = connect(config, clock)
    docs = poll_all(connector, start, end)
    assert sorted(d.semantic_identifier for d in docs) == sorted(i.title for i in items[29:89])
    assert_unique(docs)
    assert server.bounds and all(bounds == (start, end) for bounds in server.bounds)
    assert len(server.requests) == 3  # 60 matching items, 25 a page, total known
    item = items[40]
    # Served as +02:00, kept as the same instant in UTC.
    assert_mapped(by_title(docs)[item.title], item, link=f"https://changes.example.com/{item.number}",
                  metadata={"author": item.author})


def test_poll_window_applied_here_when_the_api_cannot_filter(serve, clock):
    server = serve(UpdatedSinceServer(120))
    config = {
        "url": server.url("/api/changes"),
        "items_path": "$.items",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 50,
                              "total_path": "$.total"},
        "id_field": "id", "content_fields": ["title", "body"], "poll_timestamp_field": "updated_at",
        "request_delay": 0,
    }
    items = sample_items(120)
    start = items[99].updated_at
    docs = poll_all(connect(config, clock), start.timestamp(), (start + timedelta(days=30)).timestamp())
    assert sorted(d.semantic_identifier for d in docs) == sorted(i.title for i in items[99:])
    assert len(server.requests) == 3
