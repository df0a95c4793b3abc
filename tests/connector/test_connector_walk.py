"""The walk itself: concurrency that really overlaps requests, order kept, prefetch, loops, detail
fetches and configured paths that match nothing. Real loopback servers; waits use events, not sleeps."""

from __future__ import annotations

import threading

import pytest

from restsync.errors import InvalidResponseError
from servers.base import RecordedRequest, Reply
from servers.harness import assert_unique, connect, load_all
from servers.scripted import ScriptedServer

WAIT = 5.0  # seconds an event may take before a test fails (never reached when the code works)


def item(i: int) -> dict:
    return {"id": i, "title": f"Item {i}", "body": f"<p>Body of {i}</p>", "updated_at": "2025-01-01T00:00:00Z"}


class InFlightCounter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self) -> "InFlightCounter":
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def paged_config(url: str, **extra) -> dict:
    config = {
        "url": url,
        "items_path": "$.items",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 10,
                              "total_path": "$.total"},
        "id_field": "id",
        "content_fields": ["title", "body"],
    }
    config.update(extra)
    return config


def test_pages_with_a_total_are_fetched_concurrently_and_yielded_in_order(serve, clock):
    total, per_page = 95, 10
    counter = InFlightCounter()
    # Later pages answer first: page k waits until page k+1 has been requested (page 10 doesn't wait).
    requested = {page: threading.Event() for page in range(1, 12)}

    def respond(request: RecordedRequest) -> dict:
        page = int(request.param("page"))
        requested[page].set()
        with counter:
            if 2 <= page < 5:
                requested[page + 1].wait(WAIT)
            start = (page - 1) * per_page
            return {"items": [item(i) for i in range(start, min(start + per_page, total))], "total": total}

    server = serve(ScriptedServer(respond))
    connector = connect(paged_config(server.url("/items"), concurrency=4), clock)
    docs = load_all(connector)
    assert [d.semantic_identifier for d in docs] == [f"Item {i}" for i in range(total)]
    assert_unique(docs)
    assert counter.most >= 2  # requests really overlapped
    assert counter.most <= 4  # and never beyond `concurrency`
    assert len(server.requests) == 10
    assert connector.report.complete and connector.report.expected_items == total


def test_concurrency_one_sends_one_request_at_a_time(serve, clock):
    counter = InFlightCounter()

    def respond(request: RecordedRequest) -> dict:
        with counter:
            page = int(request.param("page"))
            return {"items": [item(i) for i in range((page - 1) * 10, min(page * 10, 35))], "total": 35}

    server = serve(ScriptedServer(respond))
    docs = load_all(connect(paged_config(server.url("/items"), concurrency=1), clock))
    assert len(docs) == 35 and counter.most == 1


def test_the_next_cursor_page_is_requested_while_the_caller_works_on_this_one(serve, clock):
    second_requested = threading.Event()

    def respond(request: RecordedRequest) -> dict:
        cursor = request.param("cursor")
        if cursor is None:
            return {"items": [item(1), item(2)], "next_cursor": "c2"}
        second_requested.set()
        return {"items": [item(3)], "next_cursor": None}

    server = serve(ScriptedServer(respond))
    config = {"url": server.url("/items"), "items_path": "$.items", "pagination_type": "cursor",
              "pagination_config": {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"},
              "id_field": "id", "content_fields": ["title"]}
    connector = connect(config, clock)
    pages = connector.load_from_checkpoint(None)
    first_batch, _ = next(pages)
    # Page 2 travels while we hold page 1: nothing more was asked of the iterator yet.
    assert second_requested.wait(WAIT)
    assert [d.semantic_identifier for d in first_batch] == ["Item 1", "Item 2"]
    rest = [doc for batch, _ in pages for doc in batch]
    assert [d.semantic_identifier for d in rest] == ["Item 3"]


def test_a_repeated_final_cursor_keeps_the_page_it_came_with(serve, clock):
    def respond(request: RecordedRequest) -> dict:
        if request.param("cursor") is None:
            return {"items": [item(1)], "next_cursor": "abc"}
        return {"items": [item(2)], "next_cursor": "abc"}  # the API repeats its last cursor

    server = serve(ScriptedServer(respond))
    config = {"url": server.url("/items"), "items_path": "$.items", "pagination_type": "cursor",
              "pagination_config": {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"},
              "id_field": "id", "content_fields": ["title"]}
    connector = connect(config, clock)
    docs = load_all(connector)
    assert [d.semantic_identifier for d in docs] == ["Item 1", "Item 2"]  # page 2 was new: kept
    assert len(server.requests) == 2
    assert connector.report.truncated and "abc" in connector.report.truncation_reason


def test_an_items_path_that_matches_nothing_fails_with_a_hint(serve, clock):
    server = serve(ScriptedServer(lambda request: {"items": [item(1), item(2)]}))
    config = {"url": server.url("/items"), "items_path": "$.itemz", "id_field": "id", "content_fields": ["title"]}
    with pytest.raises(InvalidResponseError) as error:
        load_all(connect(config, clock))
    assert "$.itemz" in str(error.value) and "$.items" in str(error.value)


def test_an_items_path_matching_an_empty_list_is_an_empty_source(serve, clock):
    server = serve(ScriptedServer(lambda request: {"items": []}))
    config = {"url": server.url("/items"), "items_path": "$.items", "id_field": "id", "content_fields": ["title"]}
    connector = connect(config, clock)
    assert load_all(connector) == [] and connector.report.complete


def detail_server(serve, counter: InFlightCounter | None = None):
    def respond(request: RecordedRequest) -> Reply | dict:
        if request.path == "/items":
            return {"items": [{"id": i, "slug": f"s{i}"} for i in range(1, 7)]}
        with counter or InFlightCounter():
            slug = request.path.rsplit("/", 1)[1]
            return {"id": int(slug[1:]), "title": f"Detail {slug}", "body": "<p>full text</p>"}

    return serve(ScriptedServer(respond))


def test_detail_url_replaces_each_item_with_its_detail_in_order(serve, clock):
    counter = InFlightCounter()
    server = detail_server(serve, counter)
    config = {"url": server.url("/items"), "detail_url": "/detail/{slug}", "id_field": "id",
              "content_fields": ["title", "body"], "concurrency": 3}
    docs = load_all(connect(config, clock))
    assert [d.semantic_identifier for d in docs] == [f"Detail s{i}" for i in range(1, 7)]
    assert docs[0].content == "Detail s1\nfull text"
    assert sorted(r.path for r in server.requests[1:]) == sorted(f"/detail/s{i}" for i in range(1, 7))
    assert counter.most <= 3


def test_detail_url_placeholder_missing_from_an_item_fails_naming_it(serve, clock):
    server = detail_server(serve)
    config = {"url": server.url("/items"), "detail_url": "/detail/{handle}", "id_field": "id",
              "content_fields": ["title"]}
    with pytest.raises(InvalidResponseError, match=r"\{handle\}"):
        load_all(connect(config, clock))
    assert all(not r.path.startswith("/detail") for r in server.requests)  # nothing like GET /detail/ was sent


def test_rate_limit_waits_are_reported_while_they_last(serve, clock):
    answered = []

    def respond(request: RecordedRequest) -> Reply | dict:
        answered.append(request)
        if len(answered) == 1:
            return Reply(status=429, json={"error": "slow down"}, headers={"Retry-After": "30"})
        return {"items": [item(1)]}

    server = serve(ScriptedServer(respond))
    config = {"url": server.url("/items"), "items_path": "$.items", "id_field": "id", "content_fields": ["title"]}
    connector = connect(config, clock)
    seen: list[str | None] = []
    connector.on_progress = lambda report: seen.append(report.waiting)
    assert len(load_all(connector)) == 1
    assert seen[0] is not None and "30" in seen[0]  # shown before the wait
    assert seen[-1] is None  # and gone once the page arrived
    assert clock.sleeps == [30.0]


def test_secrets_from_headers_and_query_never_reach_error_text(serve, clock, monkeypatch):
    echo = lambda request: Reply(status=400, json={"echo": request.query, "key": request.headers.get("x-key")})
    server = serve(ScriptedServer(echo))
    monkeypatch.setenv("RS_TEST_HEADER_KEY", "HEADERSECRET42")
    config = {"url": server.url("/items"), "headers": {"X-Key": "${RS_TEST_HEADER_KEY}"},
              "query_params": {"q": "${RS_TEST_HEADER_KEY}", "private_token": "QUERYSECRET42"},
              "id_field": "id", "content_fields": ["title"]}
    from restsync.connector import RestApiConnector
    from restsync.errors import ClientRequestError

    with pytest.raises(ClientRequestError) as error:
        load_all(RestApiConnector(config, allow_private=True, clock=clock))  # ${ENV} read as from a file
    text = str(error.value)
    assert "HEADERSECRET42" not in text and "QUERYSECRET42" not in text
    assert "400" in text


def test_config_warnings_reach_the_walk_report(serve, clock):
    server = serve(ScriptedServer(lambda request: {"items": [item(1)]}))
    config = {"url": server.url("/items"), "item_path": "$.items", "id_field": "id", "content_fields": ["title"]}
    connector = connect(config, clock)
    load_all(connector)
    assert any("item_path" in w and "items_path" in w for w in connector.report.warnings)


def test_a_next_url_on_another_origin_is_fetched_without_credentials(serve, clock):
    elsewhere = serve(ScriptedServer(lambda request: {"items": [item(2)], "next": None}))

    def respond(request: RecordedRequest) -> dict:
        return {"items": [item(1)], "next": elsewhere.url("/more")}

    api = serve(ScriptedServer(respond))
    config = {"url": api.url("/items"), "items_path": "$.items", "pagination_type": "next_url",
              "pagination_config": {"next_url_path": "$.next"}, "auth_type": "bearer",
              "credentials": {"token": "SECRET-TOKEN-1"}, "id_field": "id", "content_fields": ["title"]}
    docs = load_all(connect(config, clock))
    assert [d.semantic_identifier for d in docs] == ["Item 1", "Item 2"]
    assert api.requests[0].headers.get("authorization") == "Bearer SECRET-TOKEN-1"
    assert "authorization" not in elsewhere.requests[0].headers  # the token stays with its API


def test_resuming_after_a_short_page_in_a_burst_loses_nothing(serve, clock):
    total = 400

    def respond(request: RecordedRequest) -> dict:
        offset, limit = int(request.param("offset")), int(request.param("limit"))
        end = min(offset + (50 if offset == 100 else limit), total)  # offset 100 comes back short
        return {"items": [item(i) for i in range(offset, end)], "total": total}

    server = serve(ScriptedServer(respond))
    config = {"url": server.url("/items"), "items_path": "$.items", "pagination_type": "offset",
              "pagination_config": {"offset_param": "offset", "limit_param": "limit", "limit": 100,
                                    "total_path": "$.total"},
              "id_field": "id", "content_fields": ["title"], "batch_size": 1000, "concurrency": 4}
    seen: set[str] = set()
    checkpoints = 0
    for batch, checkpoint in connect(config, clock).load_from_checkpoint(None):
        seen.update(d.semantic_identifier for d in batch)
        if checkpoint is not None:
            checkpoints += 1
            if checkpoints == 3:
                break  # the process dies here
    for batch, _ in connect(config, clock).load_from_checkpoint(checkpoint):
        seen.update(d.semantic_identifier for d in batch)
    assert seen == {f"Item {i}" for i in range(total)}


def test_checkpoints_never_carry_an_api_key_echoed_into_next_links(serve, clock):
    def respond(request: RecordedRequest) -> Reply | dict:
        if request.param("api_key") != "KEY-SECRET-77":
            return Reply(status=401, json={"error": "no key"})
        page = int(request.param("page") or 1)
        following = f"/items?api_key=KEY-SECRET-77&page={page + 1}" if page < 3 else None
        return {"items": [item(page)], "next": following}

    server = serve(ScriptedServer(respond))
    config = {"url": server.url("/items"), "items_path": "$.items", "pagination_type": "next_url",
              "pagination_config": {"next_url_path": "$.next"}, "auth_type": "api_key_query",
              "auth_config": {"param_name": "api_key"}, "credentials": {"api_key": "KEY-SECRET-77"},
              "id_field": "id", "content_fields": ["title"]}
    first = connect(config, clock).load_from_checkpoint(None)
    batch, checkpoint = next(first)
    first.close()
    assert "KEY-SECRET-77" not in repr(checkpoint)
    resumed = [d.semantic_identifier for b, _ in connect(config, clock).load_from_checkpoint(checkpoint) for d in b]
    assert [d.semantic_identifier for d in batch] + resumed == ["Item 1", "Item 2", "Item 3"]
