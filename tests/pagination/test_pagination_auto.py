"""auto pagination: detection from real-world response shapes, then behaving as the detected style."""

from __future__ import annotations

import httpx
import pytest

from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination import AutoPaginator, Detection, create_paginator, detect

BASE = "https://api.example.com/v1/list"


def respond(data: object, headers: list[tuple[str, str]] | None = None, *, url: str = BASE, body: object = None) -> ApiResponse:
    req = RequestSpec("POST" if body is not None else "GET", url, json=body)
    return ApiResponse(200, httpx.Headers(headers or []), url, data, req)


def test_github_link_header():
    link = '<https://api.github.com/repos/o/r/issues?page=2>; rel="next", <https://api.github.com/repos/o/r/issues?page=9>; rel="last"'
    found = detect(respond([{"id": 1}], [("Link", link)]), [{"id": 1}])
    assert found == Detection("link_header", {}, "link_header")


def test_github_last_page_still_detected_as_link_header():
    link = '<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=8>; rel="prev"'
    assert detect(respond([{"id": 1}], [("Link", link)]), [{"id": 1}]).style == "link_header"


def test_stripe_has_more_with_object_ids():
    items = [{"id": "cus_1", "object": "customer"}, {"id": "cus_2", "object": "customer"}]
    found = detect(respond({"object": "list", "data": items, "has_more": True, "url": "/v1/customers"}), items)
    assert found.style == "cursor"
    assert found.params == {
        "cursor_from": "last_item",
        "cursor_item_field": "id",
        "cursor_param": "starting_after",
        "has_more_path": "$.has_more",
    }


def test_slack_response_metadata_cursor():
    data = {"ok": True, "members": [{"id": "U1"}], "response_metadata": {"next_cursor": "dXNlcjpVMEc5V0ZYTlo="}}
    found = detect(respond(data), data["members"])
    assert found.style == "cursor"
    assert found.params == {"cursor_param": "cursor", "next_cursor_path": "$.response_metadata.next_cursor"}
    assert found.description == "cursor at $.response_metadata.next_cursor -> param cursor"


def test_zendesk_links_next_with_has_more():
    data = {
        "tickets": [{"id": 1}],
        "meta": {"has_more": True, "after_cursor": "xxx", "before_cursor": "yyy"},
        "links": {"next": "https://acme.zendesk.com/api/v2/tickets.json?page[after]=xxx&page[size]=1", "prev": None},
    }
    found = detect(respond(data), data["tickets"])
    assert found.style == "next_url"
    assert found.params == {"next_url_path": "$.links.next", "has_more_path": "$.meta.has_more"}


def test_odata_next_link():
    data = {"@odata.context": "...", "value": [{"id": "a"}], "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=X"}
    found = detect(respond(data), data["value"])
    assert (found.style, found.params) == ("next_url", {"next_url_path": "$['@odata.nextLink']"})


def test_confluence_relative_links_next():
    data = {"results": [{"id": "1"}], "_links": {"next": "/wiki/api/v2/pages?cursor=abc", "base": "https://acme.atlassian.net/wiki"}}
    found = detect(respond(data), data["results"])
    assert found.description == "next_url at $._links.next"


def test_hubspot_get_uses_the_next_link_and_search_post_uses_the_body_cursor():
    data = {"results": [{"id": "1"}], "paging": {"next": {"after": "NTI1Cg%3D%3D", "link": "https://api.hubapi.com/crm/v3/objects/contacts?after=NTI1Cg%3D%3D"}}}
    listed = detect(respond(data), data["results"])
    assert listed.params == {"next_url_path": "$.paging.next.link"}
    searched = detect(respond(data, body={"filterGroups": [], "limit": 100}), data["results"])
    assert searched.style == "cursor"
    assert searched.params == {"cursor_param": "after", "next_cursor_path": "$.paging.next.after", "cursor_in": "body"}


def test_airtable_string_offset_is_a_cursor():
    data = {"records": [{"id": "rec1"}], "offset": "itrA/recB"}
    found = detect(respond(data), data["records"])
    assert found.params == {"cursor_param": "offset", "next_cursor_path": "$.offset"}


def test_wordpress_total_pages_header_is_addressable_page():
    headers = [("X-WP-Total", "42"), ("X-WP-TotalPages", "5"), ("Link", '<https://blog.test/wp-json/wp/v2/posts?page=2>; rel="next"')]
    found = detect(respond([{"id": 1}], headers), [{"id": 1}])
    assert (found.style, found.params) == ("page", {"page_param": "page"})


def test_jira_next_page_token_and_legacy_start_at():
    data = {"issues": [{"id": "1"}], "nextPageToken": "CAEaAggD", "isLast": False}
    found = detect(respond(data), data["issues"])
    assert found.params == {"cursor_param": "nextPageToken", "next_cursor_path": "$.nextPageToken"}
    legacy = {"startAt": 0, "maxResults": 50, "total": 120, "issues": [{"id": "1"}]}
    found = detect(respond(legacy), legacy["issues"])
    assert found.style == "offset"
    assert found.params == {"offset_param": "startAt", "start_offset": 0, "total_path": "$.total"}


def test_google_next_page_token_goes_back_as_page_token():
    data = {"items": [{"id": 1}], "nextPageToken": "abc"}
    assert detect(respond(data), data["items"]).params["cursor_param"] == "pageToken"


def test_notion_list_sends_start_cursor():
    data = {"object": "list", "results": [{"id": "p1"}], "next_cursor": "c2", "has_more": True}
    found = detect(respond(data), data["results"])
    assert found.params == {"cursor_param": "start_cursor", "next_cursor_path": "$.next_cursor", "has_more_path": "$.has_more"}


@pytest.mark.parametrize(
    ("data", "headers", "expected"),
    [
        ({"items": [{"id": 1}], "total": 30}, [], ("page", "page with total at $.total")),
        ({"items": [{"id": 1}], "totalCount": 30}, [], ("page", "page with total at $.totalCount")),
        ({"hits": [{"id": 1}], "page": 0, "nbPages": 3}, [], ("page", "page with total pages at $.nbPages")),
        ([{"id": 1}], [("X-Total-Count", "30")], ("page", "page with total at header X-Total-Count")),
        ([{"id": 1}], [("Content-Range", "0-24/319")], ("offset", "offset with total at header Content-Range")),
        ({"items": [{"id": 1}]}, [], ("none", "none (no pagination signal in the first response)")),
    ],
)
def test_totals_and_nothing(data, headers, expected):
    items = data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    found = detect(respond(data, headers), items)
    assert (found.style, found.description) == expected


def test_zero_based_page_echo_sets_start_page():
    found = detect(respond({"hits": [{"id": 1}], "page": 0, "nbPages": 3}), [{"id": 1}])
    assert found.params["start_page"] == 0


def test_auto_paginator_adopts_the_detected_style_and_continues():
    paginator = create_paginator("auto")
    assert isinstance(paginator, AutoPaginator)
    req = RequestSpec("GET", BASE, params={"limit": "2"})
    paginator.init_request(req)
    assert req.params == {"limit": "2"}
    data = {"members": [1, 2], "response_metadata": {"next_cursor": "c2"}}
    paginator.update_state(respond(data), [1, 2])
    assert paginator.detected == "cursor at $.response_metadata.next_cursor -> param cursor"
    assert paginator.has_next
    paginator.update_request(req)
    assert req.params == {"limit": "2", "cursor": "c2"}
    paginator.update_state(respond({"members": [3], "response_metadata": {"next_cursor": ""}}), [3])
    assert not paginator.has_next


def test_auto_page_with_total_bursts_and_checkpoints():
    paginator = create_paginator("auto")
    req = RequestSpec("GET", BASE)
    paginator.init_request(req)
    paginator.update_state(respond({"items": [1, 2], "total": 5}), [1, 2])
    burst = paginator.remaining_requests(req)
    assert [r.params["page"] for r in burst] == ["2", "3"]
    paginator.update_state(respond({"items": [3, 4], "total": 5}), [3, 4])
    state = paginator.checkpoint()

    resumed = create_paginator("auto")
    resumed.restore(state)
    assert resumed.detected == "page with total at $.total"
    fresh = RequestSpec("GET", BASE)
    resumed.update_request(fresh)
    assert fresh.params == {"page": "3"}
    resumed.update_state(respond({"items": [5], "total": 5}), [5])
    assert not resumed.has_next


def test_auto_user_keys_win_over_detection():
    paginator = create_paginator("auto", {"page_param": "p", "page_size": 50})
    req = RequestSpec("GET", BASE)
    paginator.update_state(respond({"items": [1], "total": 9}), [1])
    paginator.update_request(req)
    assert req.params == {"p": "2", "per_page": "50"}


def test_auto_reports_a_loop_of_the_detected_style():
    paginator = create_paginator("auto")
    paginator.update_state(respond({"items": [1], "next": BASE + "?page=2"}), [1])
    paginator.update_state(respond({"items": [2], "next": BASE + "?page=2"}, url=BASE + "?page=2"), [2])
    assert not paginator.has_next and paginator.loop_detected


def test_auto_with_nothing_detected_is_one_request_without_checkpoint_position():
    paginator = create_paginator("auto")
    paginator.update_state(respond({"items": [1]}), [1])
    assert not paginator.has_next
    assert paginator.checkpoint()["detected"]["style"] == "none"
