"""next_url and link_header paginators, and RFC 8288 Link header parsing."""

from __future__ import annotations

import httpx
import pytest

from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination import LinkHeaderPaginator, NextUrlPaginator, find_link, parse_link_header

BASE = "https://api.example.com/v1/items"


def respond(url: str, data: object, headers: list[tuple[str, str]] | None = None) -> ApiResponse:
    req = RequestSpec("GET", url)
    return ApiResponse(200, httpx.Headers(headers or []), url, data, req)


# -- next_url -----------------------------------------------------------------------------------


def test_next_url_replaces_url_and_configured_params():
    paginator = NextUrlPaginator(next_url_path="$['@odata.nextLink']")
    req = RequestSpec("GET", BASE, params={"$top": "2", "$select": "id"})
    paginator.init_request(req)
    assert req.params == {"$top": "2", "$select": "id"}
    next_link = "https://graph.example.com/v1.0/users?$top=2&$skiptoken=X1"
    paginator.update_state(respond(BASE + "?$top=2", {"value": [1], "@odata.nextLink": next_link}), [1])
    paginator.update_request(req)
    assert req.url == next_link and req.params == {}


def test_relative_next_url_resolves_against_the_response_url_confluence():
    paginator = NextUrlPaginator(next_url_path="$._links.next")
    page_url = "https://acme.atlassian.net/wiki/api/v2/pages?limit=2"
    data = {"results": [1], "_links": {"next": "/wiki/api/v2/pages?cursor=abc&limit=2", "base": "https://acme.atlassian.net/wiki"}}
    paginator.update_state(respond(page_url, data), [1])
    req = RequestSpec("GET", page_url)
    paginator.update_request(req)
    assert req.url == "https://acme.atlassian.net/wiki/api/v2/pages?cursor=abc&limit=2"


def test_hal_href_object_is_followed():
    paginator = NextUrlPaginator(next_url_path="$._links.next")
    paginator.update_state(respond(BASE, {"_links": {"next": {"href": "?page=2"}}}), [1])
    assert paginator.next_url == BASE + "?page=2"


@pytest.mark.parametrize("value", [None, "", "missing"])
def test_missing_or_null_next_url_stops(value):
    paginator = NextUrlPaginator(next_url_path="$.links.next")
    links = {} if value == "missing" else {"next": value}
    paginator.update_state(respond(BASE, {"data": [1], "links": links}), [1])
    assert not paginator.has_next and paginator.loop_detected is None


def test_has_more_false_stops_next_url_zendesk():
    paginator = NextUrlPaginator(next_url_path="$.links.next", has_more_path="$.meta.has_more")
    data = {"tickets": [1], "meta": {"has_more": False}, "links": {"next": BASE + "?page[after]=z"}}
    paginator.update_state(respond(BASE, data), [1])
    assert not paginator.has_next


def test_next_url_repeated_is_a_loop():
    paginator = NextUrlPaginator(next_url_path="$.next")
    paginator.update_state(respond(BASE, {"next": BASE + "?page=2"}), [1])
    paginator.update_state(respond(BASE + "?page=2", {"next": BASE + "?page=3"}), [2])
    assert paginator.has_next
    paginator.update_state(respond(BASE + "?page=3", {"next": BASE + "?page=2"}), [3])
    assert not paginator.has_next
    assert "page=2" in paginator.loop_detected


def test_next_url_pointing_at_itself_is_a_loop():
    paginator = NextUrlPaginator(next_url_path="$.next")
    paginator.update_state(respond(BASE + "?page=1", {"next": "?page=1"}), [1])
    assert paginator.loop_detected


def test_next_url_without_path_uses_well_known_keys():
    paginator = NextUrlPaginator()
    paginator.update_state(respond(BASE, {"records": [1], "nextRecordsUrl": "/services/data/v58.0/query/01g-2000"}), [1])
    assert paginator.next_url == "https://api.example.com/services/data/v58.0/query/01g-2000"


def test_next_url_checkpoint_round_trip():
    paginator = NextUrlPaginator(next_url_path="$.next")
    paginator.update_state(respond(BASE, {"next": BASE + "?after=k2"}), [1])
    state = paginator.checkpoint()
    assert state["next_url"] == BASE + "?after=k2"
    resumed = NextUrlPaginator(next_url_path="$.next")
    resumed.restore(state)
    req = RequestSpec("GET", BASE, params={"limit": "1"})
    resumed.update_request(req)
    assert req.url == BASE + "?after=k2" and req.params == {}
    # the restored URL counts as fetched: a response pointing back at it is a loop
    resumed.update_state(respond(BASE + "?after=k2", {"next": BASE + "?after=k2"}), [2])
    assert resumed.loop_detected


# -- link_header --------------------------------------------------------------------------------


def test_link_header_github_style():
    paginator = LinkHeaderPaginator()
    link = (
        '<https://api.github.com/repos/o/r/issues?page=2>; rel="next", '
        '<https://api.github.com/repos/o/r/issues?page=5>; rel="last"'
    )
    paginator.update_state(respond(BASE, [1], [("Link", link)]), [1])
    req = RequestSpec("GET", BASE, params={"per_page": "100"})
    paginator.update_request(req)
    assert req.url == "https://api.github.com/repos/o/r/issues?page=2" and req.params == {}


def test_link_header_without_next_stops():
    paginator = LinkHeaderPaginator()
    link = '<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=4>; rel="prev"'
    paginator.update_state(respond(BASE, [1], [("Link", link)]), [1])
    assert not paginator.has_next


def test_link_header_repeated_next_is_a_loop():
    paginator = LinkHeaderPaginator()
    header = [("Link", f"<{BASE}?page=2>; rel=next")]
    paginator.update_state(respond(BASE, [1], header), [1])
    paginator.update_state(respond(BASE + "?page=2", [2], header), [2])
    assert paginator.loop_detected


def test_parse_several_links_in_several_headers_with_commas_and_semicolons_inside_urls():
    values = [
        '<https://x.test/a?ids=1,2;3&p=2>; rel="next"; title="a, b; c"',
        "<https://x.test/a?p=9>; REL=last, </relative?p=1>;rel=first",
    ]
    links = parse_link_header(values)
    assert [link.url for link in links] == ["https://x.test/a?ids=1,2;3&p=2", "https://x.test/a?p=9", "/relative?p=1"]
    assert links[0].params["title"] == "a, b; c"
    assert links[1].rels == {"last"} and links[2].rels == {"first"}


def test_rel_with_several_values_any_case_quoted_or_bare():
    assert find_link(['<https://x.test/2>; rel="Next Last"'], "next") == "https://x.test/2"
    assert find_link(["<https://x.test/3>; rel=NEXT"], "next") == "https://x.test/3"
    assert find_link(['<https://x.test/4>; rel="nextpage"'], "next") is None
    assert find_link([r'<https://x.test/5>; title="say \"hi\""; rel="next"'], "next") == "https://x.test/5"


def test_first_rel_parameter_wins_and_malformed_entries_are_skipped():
    links = parse_link_header(['garbage, <https://x.test/1>; rel="prev"; rel="next", <https://x.test/2'])
    assert len(links) == 1
    assert links[0].rels == {"prev"}
