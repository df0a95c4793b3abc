"""page and offset paginators: placement, stop rules, capped pages, addressable bursts, checkpoints."""

from __future__ import annotations

import math
from typing import Callable

import httpx
import pytest

from restsync.config import SourceConfig
from restsync.errors import ConfigError
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination import OffsetPaginator, PageNumberPaginator, Paginator, build_paginator
from restsync.pagination.placement import Placement

BASE = "https://api.example.com/items"
Server = Callable[[RequestSpec], tuple[object, dict[str, str]]]


def respond(req: RequestSpec, data: object, headers: dict[str, str] | None = None) -> ApiResponse:
    return ApiResponse(200, httpx.Headers(headers or {}), req.url, data, req.copy())


def walk(paginator: Paginator, server: Server, *, burst: bool = True, max_pages: int = 50) -> list[RequestSpec]:
    """Drive a paginator exactly as the walker does; return every request sent, in order."""
    sent: list[RequestSpec] = []

    def fetch(req: RequestSpec) -> None:
        sent.append(req.copy())
        data, headers = server(req)
        items = data["items"] if isinstance(data, dict) else data
        paginator.update_state(respond(req, data, headers), items)

    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    fetch(req)
    batch = paginator.remaining_requests(req) if burst else None
    for extra in batch or []:
        fetch(extra)
        if not paginator.has_next:
            break
    while paginator.has_next and len(sent) < max_pages:
        paginator.update_request(req)
        fetch(req)
    return sent


def dataset(count: int) -> list[dict]:
    return [{"id": n} for n in range(1, count + 1)]


def page_server(rows: list[dict], *, cap: int, totals: str | None = None, start: int = 1) -> Server:
    """Serves `page`/`per_page`, never more than `cap` items, with optional totals."""

    def serve(req: RequestSpec) -> tuple[object, dict[str, str]]:
        size = min(int(req.params.get("per_page", cap)), cap)
        page = int(req.params.get("page", start))
        chunk = rows[(page - start) * size : (page - start + 1) * size]
        body: dict = {"items": chunk}
        headers: dict[str, str] = {}
        if totals == "body":
            body["total"] = len(rows)
        elif totals == "wp":
            headers = {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(math.ceil(len(rows) / size))}
        return body, headers

    return serve


def offset_server(rows: list[dict], *, cap: int, totals: str | None = None) -> Server:
    def serve(req: RequestSpec) -> tuple[object, dict[str, str]]:
        offset = int(req.params.get("offset", 0))
        size = min(int(req.params.get("limit", cap)), cap)
        chunk = rows[offset : offset + size]
        body: dict = {"items": chunk}
        headers: dict[str, str] = {}
        if totals == "body":
            body["total"] = len(rows)
        elif totals == "x-total-count":
            headers["X-Total-Count"] = str(len(rows))
        elif totals == "content-range":
            last = offset + len(chunk) - 1
            headers["Content-Range"] = f"items {offset}-{last}/{len(rows)}"
        return body, headers

    return serve


def ids(server: Server, sent: list[RequestSpec]) -> list[int]:
    out: list[int] = []
    for req in sent:
        data, _ = server(req)
        out.extend(item["id"] for item in data["items"])
    return out


# -- page ---------------------------------------------------------------------------------------


def test_page_sends_start_page_and_no_hidden_page_size():
    paginator = PageNumberPaginator()
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    assert req.params == {"page": "1"}


def test_page_sends_size_only_when_configured_and_respects_names_and_start():
    paginator = PageNumberPaginator(page_param="p", start_page=0, page_size=25, page_size_param="size")
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    assert req.params == {"p": "0", "size": "25"}


def test_page_without_totals_stops_on_the_empty_page_not_the_short_one():
    rows = dataset(5)
    server = page_server(rows, cap=2)
    sent = walk(PageNumberPaginator(page_size=10), server)
    # pages 1..3 hold 2, 2, 1 items (server caps at 2); page 4 is empty and confirms the end
    assert [r.params["page"] for r in sent] == ["1", "2", "3", "4"]
    assert ids(server, sent) == [1, 2, 3, 4, 5]


def test_page_short_first_page_does_not_end_the_walk():
    paginator = PageNumberPaginator(page_size=10)
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    paginator.update_state(respond(req, {"items": [{"id": 1}]}), [{"id": 1}])
    assert paginator.has_next  # compat PY-PAG-4 differs on purpose


def test_empty_first_page_stops():
    paginator = PageNumberPaginator()
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    paginator.update_state(respond(req, {"items": []}), [])
    assert not paginator.has_next
    assert paginator.remaining_requests(req) is None


def test_page_capped_page_size_with_body_total_fetches_everything_in_one_burst():
    rows = dataset(23)
    server = page_server(rows, cap=5, totals="body")
    paginator = PageNumberPaginator(page_size=100, total_path="$.total")
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    data, _ = server(req)
    paginator.update_state(respond(req, data), data["items"])
    burst = paginator.remaining_requests(req)
    # 23 items at 5 per page (asked 100): pages 2..5 are known up front
    assert [r.params["page"] for r in burst] == ["2", "3", "4", "5"]
    assert all(r.params["per_page"] == "100" for r in burst)
    sent = walk(PageNumberPaginator(page_size=100, total_path="$.total"), server)
    assert ids(server, sent) == list(range(1, 24))
    assert len(sent) == 5  # the total ends the walk: no confirming request


def test_page_total_pages_header_wordpress():
    rows = dataset(7)
    server = page_server(rows, cap=3, totals="wp")
    sent = walk(PageNumberPaginator(page_size=3), server)
    assert [r.params["page"] for r in sent] == ["1", "2", "3"]
    assert ids(server, sent) == list(range(1, 8))


def test_page_total_pages_path_stops():
    paginator = PageNumberPaginator(total_pages_path="$.meta.pages")
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    paginator.update_state(respond(req, {"items": [1, 2], "meta": {"pages": 2}}), [1, 2])
    assert paginator.has_next
    paginator.update_request(req)
    # A short page where the total ends the walk (a full one there is followed up: totals under-count).
    paginator.update_state(respond(req, {"items": [3], "meta": {"pages": 2}}), [3])
    assert not paginator.has_next


def test_has_more_false_stops_a_page_walk():
    paginator = PageNumberPaginator(has_more_path="$.has_more")
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    paginator.update_state(respond(req, {"items": [1, 2], "has_more": True}), [1, 2])
    assert paginator.has_next
    paginator.update_state(respond(req, {"items": [3], "has_more": False}), [3])
    assert not paginator.has_next


def test_burst_then_continues_when_the_total_grew():
    rows = dataset(10)
    growing = {"total": 6}

    def serve(req: RequestSpec) -> tuple[object, dict[str, str]]:
        page = int(req.params["page"])
        body = {"items": rows[(page - 1) * 3 : page * 3], "total": growing["total"]}
        growing["total"] = 10  # items were added after the first page was read
        return body, {}

    sent = walk(PageNumberPaginator(total_path="$.total"), serve)
    # first page predicts 2 pages; the later total (10) keeps the walk going to page 4
    assert [r.params["page"] for r in sent] == ["1", "2", "3", "4"]


def test_page_two_repeating_a_full_page_one_means_the_parameter_is_ignored():
    def ignores_page(req: RequestSpec) -> tuple[object, dict[str, str]]:
        return {"items": [{"id": 1}, {"id": 2}]}, {}

    paginator = PageNumberPaginator()
    with pytest.raises(ConfigError, match=r"pagination_config\.page_param: page=2 returned exactly the items of page=1"):
        walk(paginator, ignores_page)


def test_page_checkpoint_restore_resumes_without_refetching():
    """GO-28 shape: after page 1 the checkpoint says page 2; resuming yields the rest."""
    rows = dataset(5)
    server = page_server(rows, cap=2)
    first = PageNumberPaginator(page_size=2)
    req = RequestSpec("GET", BASE)
    first.init_request(req)
    data, _ = server(req)
    first.update_state(respond(req, data), data["items"])
    state = first.checkpoint()
    assert state["page"] == 2

    resumed = PageNumberPaginator(page_size=2)
    resumed.restore(state)
    sent = []
    req = RequestSpec("GET", BASE)
    while resumed.has_next:
        resumed.update_request(req)
        sent.append(req.copy())
        data, _ = server(req)
        resumed.update_state(respond(req, data), data["items"])
    assert [r.params["page"] for r in sent] == ["2", "3", "4"]
    assert ids(server, sent) == [3, 4, 5]
    assert all(r.params["per_page"] == "2" for r in sent)


def test_restore_rejects_a_checkpoint_of_another_style():
    with pytest.raises(ConfigError, match="checkpoint"):
        PageNumberPaginator().restore({"style": "offset", "offset": 4})


# -- offset -------------------------------------------------------------------------------------


def test_offset_advances_by_items_received_when_the_server_caps_the_limit():
    rows = dataset(12)
    server = offset_server(rows, cap=5)
    sent = walk(OffsetPaginator(limit=100), server)
    assert [r.params["offset"] for r in sent] == ["0", "5", "10", "12"]
    assert all(r.params["limit"] == "100" for r in sent)
    assert ids(server, sent) == list(range(1, 13))


@pytest.mark.parametrize("totals", ["body", "x-total-count", "content-range"])
def test_offset_capped_with_totals_bursts_by_the_received_page_size(totals):
    rows = dataset(23)
    server = offset_server(rows, cap=5, totals=totals)
    paginator = OffsetPaginator(limit=100, total_path="$.total" if totals == "body" else None)
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    data, headers = server(req)
    paginator.update_state(respond(req, data, headers), data["items"])
    burst = paginator.remaining_requests(req)
    assert [r.params["offset"] for r in burst] == ["5", "10", "15", "20"]
    sent = walk(OffsetPaginator(limit=100, total_path="$.total" if totals == "body" else None), server)
    assert ids(server, sent) == list(range(1, 24))
    assert len(sent) == 5


def test_offset_burst_refetches_the_gap_a_short_middle_page_leaves():
    rows = dataset(20)

    def uneven(req: RequestSpec) -> tuple[object, dict[str, str]]:
        offset = int(req.params["offset"])
        size = 3 if offset == 5 else 5  # one page comes back shorter than the first
        return {"items": rows[offset : offset + size], "total": 20}, {}

    sent = walk(OffsetPaginator(total_path="$.total"), uneven)
    assert sorted(set(ids(uneven, sent))) == list(range(1, 21))
    assert [r.params["offset"] for r in sent][:4] == ["0", "5", "10", "15"]
    assert "8" in [r.params["offset"] for r in sent]  # the gap 8..9 was fetched afterwards


def test_offset_names_start_and_checkpoint_round_trip():
    """GO-29 shape: offsets 0, 2, 4 over two sessions."""
    rows = dataset(5)
    paginator = OffsetPaginator(offset_param="skip", limit_param="take", limit=2, start_offset=0)
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    assert req.params == {"skip": "0", "take": "2"}
    paginator.update_state(respond(req, {"items": rows[:2]}), rows[:2])
    state = paginator.checkpoint()
    assert state["offset"] == 2

    resumed = OffsetPaginator(offset_param="skip", limit_param="take", limit=2)
    resumed.restore(state)
    fresh = RequestSpec("GET", BASE)
    resumed.update_request(fresh)
    assert fresh.params == {"skip": "2", "take": "2"}
    resumed.update_state(respond(fresh, {"items": rows[2:4]}), rows[2:4])
    resumed.update_request(fresh)
    assert fresh.params["skip"] == "4"


def test_offset_in_body_keeps_numbers_typed():
    paginator = OffsetPaginator(offset_param="from", limit_param="size", limit=50, offset_in="body")
    req = RequestSpec("POST", BASE, json={"query": {"match_all": {}}})
    paginator.init_request(req)
    assert req.json == {"query": {"match_all": {}}, "from": 0, "size": 50}
    assert req.params == {}


def test_build_paginator_maps_the_config():
    config = SourceConfig.from_mapping(
        {
            "url": BASE,
            "content_fields": ["title"],
            "pagination_type": "offset",
            "pagination_config": {"offset_param": "start", "limit": "10", "page_param": "ignored"},
        }
    )
    paginator = build_paginator(config.pagination_type, config.pagination)
    assert isinstance(paginator, OffsetPaginator)
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    assert req.params == {"start": "0", "limit": "10"}


def test_unknown_placement_names_the_key():
    with pytest.raises(ConfigError, match="pagination_config.page_in"):
        PageNumberPaginator(page_in="cookie")
    assert Placement.of("page", None, "k").location == "query"


def test_none_is_one_request_and_places_nothing():
    config = SourceConfig.from_mapping({"url": BASE, "content_fields": ["title"]})
    paginator = build_paginator(config.pagination_type, config.pagination)
    req = RequestSpec("GET", BASE, params={"q": "x"})
    paginator.init_request(req)
    paginator.update_state(respond(req, {"items": [1, 2], "next": BASE + "?page=2", "total": 9}), [1, 2])
    assert req.params == {"q": "x"}
    assert not paginator.has_next and paginator.remaining_requests(req) is None
