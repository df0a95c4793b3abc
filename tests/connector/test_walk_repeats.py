"""APIs that repeat pages instead of ending: what the responses prove decides.

- a page that exactly repeats the one before it, after a normal advance, and a next page that
  repeats it too (or is empty): the data ended; complete, and the report says which page repeated which;
- page two repeating a full page one: the API ignores the parameter, a config error naming it;
- a repeat in the middle (the page after it has other items): a loop, truncated, items may be missing.
"""

from __future__ import annotations

import pytest

from restsync.errors import ConfigError
from servers.clamping import ITEMS_PATH, ClampingServer
from servers.harness import assert_unique, connect, load_all


def entries_config(server: ClampingServer, style: str = "page", **overrides) -> dict:
    if style == "offset":
        pagination = {"offset_param": "offset", "limit_param": "limit", "limit": 20}
    else:
        pagination = {"page_param": "page", "page_size_param": "per_page", "page_size": 20}
    config = {"url": server.url(ITEMS_PATH), "items_path": "$.entries", "pagination_type": style,
              "pagination_config": pagination, "id_field": "id", "content_fields": ["title", "body"],
              "max_pages": 50}
    config.update(overrides)
    return config


def numbers(docs) -> list[int]:
    return sorted(int(doc.semantic_identifier.split()[1]) for doc in docs)


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize("count", [100, 95])  # a full last page, a short one
def test_a_clamped_last_page_is_the_end(serve, clock, count, concurrency):
    server = serve(ClampingServer(count, mode="clamp"))
    connector = connect(entries_config(server, concurrency=concurrency), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, count + 1))
    assert_unique(docs)
    report = connector.report
    assert report.complete and not report.truncated and report.status == "complete"
    assert report.end_reason == "page=6 and page=7 repeated page=5: the end of the data"
    assert report.pages == 5 and report.items == count
    requested = [int(r.param("page")) for r in server.requests]
    if concurrency == 1:
        assert requested == [1, 2, 3, 4, 5, 6, 7]
    else:
        # Fetched ahead (no total): each page once, and at most one burst past the confirming page.
        assert sorted(requested) == list(range(1, len(requested) + 1))
        assert 7 <= len(requested) <= 7 + concurrency
    assert report.to_dict()["end_reason"] == report.end_reason


def test_a_clamped_last_offset_is_the_end(serve, clock):
    server = serve(ClampingServer(100, mode="clamp"))
    connector = connect(entries_config(server, "offset"), clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, 101))
    report = connector.report
    assert report.complete
    assert report.end_reason == "offset=100 and offset=120 repeated offset=80: the end of the data"


def test_a_single_short_page_repeated_is_the_end(serve, clock):
    server = serve(ClampingServer(7, mode="clamp"))
    connector = connect(entries_config(server), clock)
    assert numbers(load_all(connector)) == list(range(1, 8))
    assert connector.report.complete
    assert connector.report.end_reason == "page=2 repeated page=1 (a short page): the end of the data"


@pytest.mark.parametrize(("style", "key"), [("page", "page_param"), ("offset", "offset_param")])
def test_an_ignored_page_parameter_is_a_config_error(serve, clock, style, key):
    server = serve(ClampingServer(100, mode="ignore"))
    connector = connect(entries_config(server, style), clock)
    with pytest.raises(ConfigError) as caught:
        load_all(connector)
    assert caught.value.key == f"pagination_config.{key}"
    assert "the API seems to ignore param" in str(caught.value)
    assert len(server.requests) == 2  # never "complete" with one page, never a walk to max_pages


def test_a_page_repeated_in_the_middle_is_a_loop(serve, clock):
    server = serve(ClampingServer(100, mode="repeat_middle", repeat_at=3))
    connector = connect(entries_config(server), clock)
    docs = load_all(connector)
    assert_unique(docs)
    report = connector.report
    assert report.truncated and not report.complete
    assert report.truncation_reason == (
        "pagination loop detected: page=3 repeated page=2 but page=4 had other items: "
        "the items of page=3 may be missing")
    assert numbers(docs) == list(range(1, 41)) + list(range(61, 81))  # page 4's items are kept


def test_auto_detected_pages_end_on_a_clamped_page_past_an_under_counting_total(serve, clock):
    """Detected from `total`: the total (70) under-counts, full pages are followed up to the clamp."""
    server = serve(ClampingServer(100, mode="clamp", claimed_total=70))
    config = entries_config(server, "auto", query_params={"per_page": "20"})
    del config["pagination_config"]
    connector = connect(config, clock)
    docs = load_all(connector)
    assert numbers(docs) == list(range(1, 101))
    report = connector.report
    assert report.complete
    assert report.end_reason == "page=6 and page=7 repeated page=5: the end of the data"


def test_a_page_pushed_on_by_a_full_page_of_new_items_is_no_repeat():
    """Two items added at the head between the requests: offset 2 now holds what offset 0 held. The
    total moved, so this is a shift (the walker drops the repeated items), not an ignored parameter."""
    import httpx

    from restsync.http.request import ApiResponse, RequestSpec
    from restsync.pagination import OffsetPaginator

    paginator = OffsetPaginator(limit=2, total_path="$.total")
    request = RequestSpec("GET", "https://api.example.com/items")
    paginator.init_request(request)

    def answer(items: list, total: int) -> None:
        paginator.update_state(ApiResponse(200, httpx.Headers(), request.url, {"items": items, "total": total},
                                           request.copy()), items)

    answer([{"id": 4}, {"id": 3}], 4)
    paginator.update_request(request)
    answer([{"id": 4}, {"id": 3}], 6)
    assert paginator.has_next and not paginator.loop_detected and not paginator.discard_page
    assert paginator.shift_notes == ["total changed from 4 to 6 at offset=2"]
    paginator.update_request(request)
    assert request.params["offset"] == "4"
