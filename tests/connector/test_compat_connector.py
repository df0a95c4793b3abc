"""RAGFlow's own connector tests (PY-PAG-1..6 and the Go port's GO-13..31), kept through restsync's
public API against real loopback servers. Deliberate differences are named where they apply."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from servers import ScriptedServer
from servers.harness import assert_unique, connect, load_all


def titles(docs) -> list[str]:
    return [doc.semantic_identifier for doc in docs]


def numbered(*numbers: int) -> list[dict]:
    return [{"id": n, "title": f"Item {n}", "body": f"text {n}"} for n in numbers]


def page_server(pages: dict[int, list[dict]], **extra) -> ScriptedServer:
    """Serves `{items: pages[page]}`; pages not listed are empty."""
    return ScriptedServer(lambda r: {"items": pages.get(int(r.param("page") or 1), []), **extra})


def page_config(server: ScriptedServer, **overrides) -> dict:
    return {"url": server.url("/api/items"), "content_fields": ["title"], "id_field": "id",
            "pagination_type": "page", "pagination_config": {"page_param": "page"},
            "max_pages": 100, "request_delay": 0, **overrides}


# -- A8: the pagination loop ------------------------------------------------------------------

def test_py_pag_1_page_mode_goes_on_and_sends_no_hidden_size(serve, clock):
    server = serve(page_server({1: numbered(1, 2)}))
    docs = load_all(connect(page_config(server), clock))
    assert titles(docs) == ["Item 1", "Item 2"]
    assert [r.query for r in server.requests] == [{"page": "1"}, {"page": "2"}]  # GO-1 difference: no size param
    assert all(r.method == "GET" for r in server.requests)


def test_py_pag_2_offset_mode_short_page_does_not_stop(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": numbered(1) if r.param("offset") == "0" else []}))
    config = page_config(server, pagination_type="offset",
                         pagination_config={"offset_param": "offset", "limit_param": "limit", "limit": 10})
    docs = load_all(connect(config, clock))
    assert titles(docs) == ["Item 1"]
    # Difference: one item of 10 does not end the walk; the next offset follows what arrived.
    assert [(r.param("offset"), r.param("limit")) for r in server.requests] == [("0", "10"), ("1", "10")]


def test_py_pag_3_empty_first_page_stops_at_once(serve, clock):
    server = serve(page_server({}))
    connector = connect(page_config(server), clock)
    assert load_all(connector) == []
    assert len(server.requests) == 1
    assert connector.report.complete and not connector.report.truncated


def test_py_pag_4_short_page_is_confirmed_by_one_more_request(serve, clock):
    server = serve(page_server({1: numbered(1)}))
    config = page_config(server, pagination_config={"page_param": "page", "page_size": 10})
    docs = load_all(connect(config, clock))
    assert titles(docs) == ["Item 1"]
    assert [r.param("page") for r in server.requests] == ["1", "2"]  # difference: RAGFlow stops after 1


def test_py_pag_5_max_pages_is_a_reported_truncation(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": numbered(2 * int(r.param("page")) - 1, 2 * int(r.param("page")))}))
    config = page_config(server, max_pages=3, pagination_config={"page_param": "page", "page_size": 2})
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(server.requests) == 3
    assert titles(docs) == [f"Item {n}" for n in range(1, 7)]
    assert connector.report.truncated  # difference: RAGFlow only logs a warning
    assert "max_pages" in connector.report.truncation_reason


def test_py_pag_6_delay_between_pages_not_before_the_first(serve, clock):
    server = serve(page_server({1: numbered(1, 2)}))
    docs = load_all(connect(page_config(server, request_delay=1.5), clock))
    assert len(docs) == 2 and len(server.requests) == 2
    assert clock.sleeps == [1.5]


# -- C: the Go port ---------------------------------------------------------------------------

def test_go_13_url_placeholder_filled_from_query_params(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": numbered(1)}))
    config = {"url": server.url("/items/{tenant}"), "query_params": {"tenant": "abc", "lang": "en"},
              "auth_type": "bearer", "content_fields": "title"}
    docs = load_all(connect(config, clock, credentials={"token": "tok"}))
    assert len(docs) == 1
    [request] = server.requests
    assert request.method == "GET" and request.path == "/items/abc"
    assert request.query == {"lang": "en"}  # used in the path, so not sent again as a parameter
    assert request.headers["authorization"] == "Bearer tok"


def test_go_14_post_sends_request_body_as_json(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": numbered(1)}))
    body = {"filter": {"status": "published"}, "fields": ["title", "body"], "limit": 5}
    config = {"url": server.url("/search"), "method": "POST", "request_body": body, "content_fields": ["title"]}
    assert len(load_all(connect(config, clock))) == 1
    [request] = server.requests
    assert request.method == "POST"
    assert request.json == body
    assert request.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("with_total", [False, True])
def test_go_19_page_mode_sync_in_batches(serve, clock, with_total):
    pages = {1: numbered(1, 2), 2: numbered(3, 4), 3: numbered(5)}
    server = serve(page_server(pages, **({"total": 5} if with_total else {})))
    config = page_config(server, batch_size=2,
                         pagination_config={"page_param": "page", "page_size_param": "limit", "page_size": 2,
                                            **({"total_path": "$.total"} if with_total else {})})
    batches = list(connect(config, clock).load_from_state())
    docs = [doc for batch in batches for doc in batch]
    assert titles(docs) == [f"Item {n}" for n in range(1, 6)]
    assert all(len(batch) <= 2 for batch in batches)
    # With a total the walk ends on it (3 requests, as RAGFlow); without, the short page 3 is
    # confirmed by one empty page 4 (difference: short pages do not end a walk).
    assert sorted(int(r.param("page")) for r in server.requests) == ([1, 2, 3] if with_total else [1, 2, 3, 4])


def test_go_20_time_window_applied_to_items(serve, clock):
    items = [{"id": 1, "title": "early", "updated": "2024-05-01T10:00:00Z"},
             {"id": 2, "title": "late", "updated": "2024-05-01T12:00:00Z"}]
    server = serve(ScriptedServer(lambda r: {"items": items}))
    config = {"url": server.url("/api/items"), "content_fields": ["title"], "id_field": "id",
              "poll_timestamp_field": "updated"}
    start = datetime(2024, 5, 1, 11, tzinfo=timezone.utc)
    end = datetime(2024, 5, 1, 13, tzinfo=timezone.utc)
    polled = [doc for batch in connect(config, clock).poll_source(start.timestamp(), end.timestamp()) for doc in batch]
    assert titles(polled) == ["late"]
    full = {doc.semantic_identifier: doc.id for doc in load_all(connect(config, clock))}
    assert polled[0].id == full["late"]  # the same stable id as a full load gives
    assert polled[0].doc_updated_at == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


def test_go_21_and_22_validation_of_an_empty_source_uses_one_request(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": []}))
    config = {"url": server.url("/api/items"), "content_fields": ["title"], "pagination_type": "page",
              "pagination_config": {"page_param": "page"}}
    connector = connect(config, clock)
    connector.validate()
    assert len(server.requests) == 1  # GO-22: the test-connection path fetches one page
    connector.validate()  # GO-21: an empty listing still validates
    assert len(server.requests) == 2


def test_go_23_max_pages_one(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": numbered(1, 2)}))
    config = page_config(server, max_pages=1, pagination_config={"page_param": "page", "page_size": 2})
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(docs) == 2 and len(server.requests) == 1
    assert connector.report.truncated  # difference: reported, not silent


def test_go_27_no_pagination_emits_no_checkpoints(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": numbered(1, 2, 3, 4, 5)}))
    config = {"url": server.url("/api/items"), "content_fields": ["title"], "batch_size": 2}
    results = list(connect(config, clock).load_from_checkpoint(None))
    assert [len(docs) for docs, _ in results] == [2, 2, 1]
    assert all(checkpoint is None for _, checkpoint in results)
    assert len(server.requests) == 1


# -- GO-28..30: resume from a checkpoint ------------------------------------------------------

FIVE = numbered(1, 2, 3, 4, 5)
CURSORS = {"": 0, "t2": 2, "t3": 4}  # cursor -> offset of its page; the last page has no token


def paged(request) -> dict:
    start = (int(request.param("page")) - 1) * 2
    return {"items": FIVE[start : start + 2]}


def offset_paged(request) -> dict:
    start = int(request.param("offset"))
    return {"items": FIVE[start : start + 2]}


def cursor_paged(request) -> dict:
    start = CURSORS[request.param("cursor") or ""]
    token = {0: "t2", 2: "t3"}.get(start)
    return {"items": FIVE[start : start + 2], **({"next_page_token": token} if token else {})}


RESUMABLE = {
    "page": (paged, "page", {"page_param": "page", "page_size": 2}, ["2", "3", "4"]),
    "offset": (offset_paged, "offset", {"offset_param": "offset", "limit_param": "limit", "limit": 2}, ["2", "4", "5"]),
    "cursor": (cursor_paged, "cursor", {"cursor_param": "cursor", "next_cursor_field": "next_page_token"}, ["t2", "t3"]),
}


@pytest.mark.parametrize("style", RESUMABLE)
def test_go_28_to_30_resume_from_checkpoint(serve, clock, style):
    respond, param, pagination, resumed_positions = RESUMABLE[style]
    server = serve(ScriptedServer(respond))
    config = page_config(server, pagination_type=style, pagination_config=pagination, batch_size=2)

    first_session = connect({**config, "headers": {"X-Session": "1"}}, clock)
    walk = first_session.load_from_checkpoint(None)
    docs, checkpoint = next(walk)
    walk.close()
    assert titles(docs) == ["Item 1", "Item 2"] and checkpoint is not None
    checkpoint = json.loads(json.dumps(checkpoint))  # stored as JSON between runs

    second_session = connect({**config, "headers": {"X-Session": "2"}}, clock)
    resumed = list(second_session.load_from_checkpoint(checkpoint))
    assert titles(doc for docs, _ in resumed for doc in docs) == ["Item 3", "Item 4", "Item 5"]
    second = [r for r in server.requests if r.headers.get("x-session") == "2"]
    assert [r.param(param) for r in second] == resumed_positions  # page 1 is not fetched again
    first = [r for r in server.requests if r.headers.get("x-session") == "1"]
    assert first[0].param(param) in (None, "", "0", "1")


def test_go_31_checkpoints_only_on_page_boundaries(serve, clock):
    server = serve(page_server({1: numbered(1, 2, 3, 4), 2: numbered(5)}))
    config = page_config(server, batch_size=2, pagination_config={"page_param": "page"})
    walk = connect(config, clock).load_from_checkpoint(None)
    first_docs, first_checkpoint = next(walk)
    second_docs, second_checkpoint = next(walk)
    walk.close()
    assert titles(first_docs) == ["Item 1", "Item 2"] and first_checkpoint is None
    assert titles(second_docs) == ["Item 3", "Item 4"] and second_checkpoint is not None
    resumed = [doc for docs, _ in connect(config, clock).load_from_checkpoint(second_checkpoint) for doc in docs]
    assert titles(resumed) == ["Item 5"]
    assert_unique(resumed)
