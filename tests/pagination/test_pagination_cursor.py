"""cursor paginator: token sources, placements (query, nested body, header), stops, loops, checkpoints."""

from __future__ import annotations

import httpx
import pytest

from restsync.errors import ConfigError
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination import CursorPaginator, create_paginator

BASE = "https://api.example.com/items"


def respond(req: RequestSpec, data: object, headers: dict[str, str] | None = None) -> ApiResponse:
    return ApiResponse(200, httpx.Headers(headers or {}), req.url, data, req.copy())


def step(paginator: CursorPaginator, req: RequestSpec, data: dict, items: list | None = None) -> None:
    paginator.update_state(respond(req, data), data.get("items", []) if items is None else items)


def test_first_request_has_no_cursor_then_the_field_value_is_sent():
    paginator = CursorPaginator(next_cursor_field="next_page_token")
    req = RequestSpec("GET", BASE, params={"q": "x"})
    paginator.init_request(req)
    assert req.params == {"q": "x"}
    step(paginator, req, {"items": [1], "next_page_token": "t2"})
    paginator.update_request(req)
    assert req.params == {"q": "x", "cursor": "t2"}


def test_initial_cursor_is_sent_first():
    paginator = CursorPaginator(cursor_param="after", initial_cursor="start")
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    assert req.params == {"after": "start"}


def test_next_cursor_field_is_top_level_only_but_path_reads_nested():
    """GO-11: `paging.next` as a field finds nothing; as a JSONPath it finds the token."""
    body = {"items": [1], "paging": {"next": "cursor-1"}}
    by_field = CursorPaginator(next_cursor_field="paging.next")
    req = RequestSpec("GET", BASE)
    step(by_field, req, body)
    assert not by_field.has_next
    by_path = CursorPaginator(next_cursor_path="$.paging.next")
    step(by_path, req, body)
    assert by_path.has_next and by_path.cursor == "cursor-1"


@pytest.mark.parametrize("last", [None, "", "missing"])
def test_missing_null_or_empty_cursor_stops(last):
    paginator = CursorPaginator(next_cursor_path="$.response_metadata.next_cursor")
    req = RequestSpec("GET", BASE)
    meta = {} if last == "missing" else {"next_cursor": last}
    step(paginator, req, {"items": [1], "response_metadata": meta})
    assert not paginator.has_next
    assert paginator.loop_detected is None


def test_has_more_false_stops_even_with_a_cursor():
    paginator = CursorPaginator(has_more_path="$.has_more")
    req = RequestSpec("GET", BASE)
    step(paginator, req, {"items": [1], "next_cursor": "c2", "has_more": False})
    assert not paginator.has_next


def test_empty_page_stops_even_with_a_cursor():
    paginator = CursorPaginator()
    req = RequestSpec("GET", BASE)
    step(paginator, req, {"items": [], "next_cursor": "c2"})
    assert not paginator.has_next


def test_total_reached_stops():
    paginator = CursorPaginator(total_path="$.total")
    req = RequestSpec("GET", BASE)
    step(paginator, req, {"items": [1, 2], "next_cursor": "c2", "total": 3})
    assert paginator.has_next
    step(paginator, req, {"items": [3], "next_cursor": "c3", "total": 3})
    assert not paginator.has_next


def test_repeated_cursor_is_a_loop():
    paginator = CursorPaginator()
    req = RequestSpec("GET", BASE)
    step(paginator, req, {"items": [1], "next_cursor": "a"})
    step(paginator, req, {"items": [2], "next_cursor": "b"})
    assert paginator.has_next
    step(paginator, req, {"items": [3], "next_cursor": "a"})
    assert not paginator.has_next
    assert "'a'" in paginator.loop_detected


def test_initial_cursor_returned_again_is_a_loop():
    paginator = CursorPaginator(initial_cursor="s")
    req = RequestSpec("GET", BASE)
    step(paginator, req, {"items": [1], "next_cursor": "s"})
    assert paginator.loop_detected


def test_last_item_cursor_stripe_style():
    paginator = CursorPaginator(
        cursor_from="last_item", cursor_item_field="id", cursor_param="starting_after", has_more_path="$.has_more"
    )
    req = RequestSpec("GET", BASE, params={"limit": "2"})
    paginator.init_request(req)
    items = [{"id": "cus_1"}, {"id": "cus_2"}]
    step(paginator, req, {"data": items, "has_more": True}, items)
    paginator.update_request(req)
    assert req.params == {"limit": "2", "starting_after": "cus_2"}
    step(paginator, req, {"data": [{"id": "cus_3"}], "has_more": False}, [{"id": "cus_3"}])
    assert not paginator.has_next


def test_last_item_cursor_reads_a_nested_field():
    paginator = CursorPaginator(cursor_from="last_item", cursor_item_field="meta.key")
    req = RequestSpec("GET", BASE)
    step(paginator, req, {}, [{"meta": {"key": 7}}, {"meta": {"key": 9}}])
    paginator.update_request(req)
    assert req.params["cursor"] == "9"


def test_body_placement_nested_path_graphql():
    paginator = CursorPaginator(
        cursor_param="variables.after", cursor_in="body", next_cursor_path="$.data.search.pageInfo.endCursor"
    )
    body = {"query": "query($after: String) {...}", "variables": {"first": 50}}
    req = RequestSpec("POST", BASE, json=body)
    paginator.init_request(req)
    assert req.json == body  # no cursor on the first request
    data = {"data": {"search": {"pageInfo": {"endCursor": "Y3Vyc29yOjUw"}, "nodes": [1]}}}
    paginator.update_state(respond(req, data), [1])
    paginator.update_request(req)
    assert req.json == {"query": body["query"], "variables": {"first": 50, "after": "Y3Vyc29yOjUw"}}


def test_body_placement_keeps_arrays_typed_elasticsearch_search_after():
    paginator = CursorPaginator(cursor_param="search_after", cursor_in="body", next_cursor_path="$.hits.hits[-1].sort")
    req = RequestSpec("POST", BASE, json={"size": 2, "sort": [{"ts": "asc"}, {"_id": "asc"}]})
    paginator.init_request(req)
    hits = [{"_id": "a", "sort": [1700000000, "a"]}, {"_id": "b", "sort": [1700000001, "b"]}]
    paginator.update_state(respond(req, {"hits": {"hits": hits}}), hits)
    paginator.update_request(req)
    assert req.json["search_after"] == [1700000001, "b"]
    # the same array again would be a loop; a new one is accepted
    paginator.update_state(respond(req, {"hits": {"hits": hits}}), hits)
    assert paginator.loop_detected


def test_query_placement_serialises_structured_cursor_as_json():
    paginator = CursorPaginator(next_cursor_path="$.next")
    req = RequestSpec("GET", BASE)
    paginator.update_state(respond(req, {"next": [5, "x"]}), [1])
    paginator.update_request(req)
    assert req.params["cursor"] == '[5,"x"]'


def test_header_placement():
    paginator = CursorPaginator(cursor_param="X-Continuation", cursor_in="header")
    req = RequestSpec("GET", BASE)
    paginator.update_state(respond(req, {"next_cursor": "k2"}), [1])
    paginator.update_request(req)
    assert req.headers == {"X-Continuation": "k2"}
    assert req.params == {}


def test_checkpoint_restore_round_trip_go30():
    """GO-30 shape: cursors "", t2, t3 over two sessions; the resumed walk sends t2 first."""
    paginator = create_paginator("cursor", {"next_cursor_field": "next_page_token"})
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    assert "cursor" not in req.params
    step(paginator, req, {"items": [1, 2], "next_page_token": "t2"})
    state = paginator.checkpoint()
    assert state["cursor"] == "t2"

    resumed = create_paginator("cursor", {"next_cursor_field": "next_page_token"})
    resumed.restore(state)
    fresh = RequestSpec("GET", BASE)
    resumed.update_request(fresh)
    assert fresh.params == {"cursor": "t2"}
    step(resumed, fresh, {"items": [3, 4], "next_page_token": "t3"})
    resumed.update_request(fresh)
    assert fresh.params == {"cursor": "t3"}
    step(resumed, fresh, {"items": [5], "next_page_token": None})
    assert not resumed.has_next
    assert resumed.checkpoint()["has_next"] is False


def test_checkpoint_keeps_typed_body_cursor():
    paginator = CursorPaginator(cursor_param="search_after", cursor_in="body", next_cursor_path="$.last")
    req = RequestSpec("POST", BASE, json={})
    paginator.update_state(respond(req, {"last": [3, "c"]}), [1])
    resumed = CursorPaginator(cursor_param="search_after", cursor_in="body", next_cursor_path="$.last")
    resumed.restore(paginator.checkpoint())
    fresh = RequestSpec("POST", BASE, json={"size": 1})
    resumed.update_request(fresh)
    assert fresh.json == {"size": 1, "search_after": [3, "c"]}


def test_bad_config_values_name_their_keys():
    with pytest.raises(ConfigError, match="pagination_config.cursor_from"):
        CursorPaginator(cursor_from="header")
    with pytest.raises(ConfigError, match="pagination_config.next_cursor_path"):
        CursorPaginator(next_cursor_path="$.[[")
    with pytest.raises(ConfigError, match="pagination_type"):
        create_paginator("bad")
