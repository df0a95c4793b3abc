"""The query a request carries, byte for byte, as a loopback server reads it off the request line.

Merge order: the URL's own query, then `query_params`, then pagination parameters, then auth
query parameters; a later source replaces earlier pairs of the same name; repeated names in the
URL itself are kept. Next-page URLs (next_url, Link header, redirects) are followed as given,
with only auth query parameters added, and only on the configured origin.

The numbered-page servers here are honest: full pages up to the end they claim, empty past it.
A full page at the claimed end is confirmed by one more request (totals may under-count), and
that request carries the same merged query as the others.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest

from restsync.diagnostics import run_check, run_preview
from restsync.suggest import suggest_config
from servers.base import RecordedRequest, Reply
from servers.faults import ServerError, only
from servers.harness import connect, load_all, poll_all
from servers.scripted import ScriptedServer

URL_QUERY = "state=all&sort=updated&tag=a&tag=b"
# What page 1 of every style starts with: the URL's query as written, then query_params.
PREFIX = "/issues?state=all&sort=updated&tag=a&tag=b&labels=bug%2Cui"
KEY = "key=k-1"


def items(page: int, per_page: int = 2) -> list[dict]:
    return [{"id": f"{page}-{n}", "title": f"issue {page}-{n}"} for n in range(1, per_page + 1)]


def page_items(page: int, pages: int = 2) -> list[dict]:
    """Page `page` of an API whose data really ends at page `pages`: full up to there, empty past it."""
    return items(page) if page <= pages else []


def config_for(server, **extra) -> dict:
    return {
        "url": server.url("/issues?" + URL_QUERY),
        "query_params": {"labels": "bug,ui"},
        "auth_type": "api_key_query",
        "auth_config": {"param_name": "key"},
        "credentials": {"api_key": "k-1"},
        "items_path": "$.items",
        "id_field": "id",
        "content_fields": ["title"],
        **extra,
    }


def targets(server, session: str | None = None) -> list[str]:
    """Request targets in arrival order; with `session`, only those of the connector sending that X-Session."""
    return [r.target for r in server.requests if session is None or r.headers.get("x-session") == session]


def titles(documents) -> list[str]:
    return [doc.semantic_identifier for doc in documents]


def page_server(request: RecordedRequest) -> dict:
    page = int(request.param("page") or 1)
    return {"items": page_items(page), "pages": 2}


# -- numeric styles ------------------------------------------------------------------------------


def test_page_keeps_the_urls_query_then_query_params_then_page_then_auth(serve, clock):
    server = serve(ScriptedServer(page_server))
    pagination = {"page_param": "page", "page_size_param": "per_page", "page_size": 2, "total_pages_path": "$.pages"}
    docs = load_all(connect(config_for(server, pagination_type="page", pagination_config=pagination), clock))
    assert len(docs) == 4
    # Page 2 is full at the claimed end: page 3 confirms it, with the same query.
    assert targets(server) == [f"{PREFIX}&page={n}&per_page=2&{KEY}" for n in (1, 2, 3)]


def test_offset_keeps_the_urls_query(serve, clock):
    def respond(request: RecordedRequest) -> dict:
        return {"items": page_items(int(request.param("offset")) // 2 + 1), "total": 4}

    server = serve(ScriptedServer(respond))
    pagination = {"offset_param": "offset", "limit_param": "limit", "limit": 2, "total_path": "$.total"}
    docs = load_all(connect(config_for(server, pagination_type="offset", pagination_config=pagination), clock))
    assert len(docs) == 4
    # The page ending at the total is full: offset 4 confirms it, with the same query.
    assert targets(server) == [f"{PREFIX}&offset={n}&limit=2&{KEY}" for n in (0, 2, 4)]


def test_pages_fetched_concurrently_carry_the_same_query(serve, clock):
    server = serve(ScriptedServer(lambda request: {"items": page_items(int(request.param("page")), 4), "pages": 4}))
    config = config_for(server, pagination_type="page", concurrency=4,
                        pagination_config={"page_param": "page", "total_pages_path": "$.pages"})
    assert len(load_all(connect(config, clock))) == 8
    sent = targets(server)
    assert sorted(sent[:4]) == [f"{PREFIX}&page={n}&{KEY}" for n in range(1, 5)]
    # Page 4 is full at the claimed end: page 5 confirms it, after the burst, with the same query.
    assert sent[4:] == [f"{PREFIX}&page=5&{KEY}"]


def test_later_sources_replace_a_name_in_place_and_repeats_of_the_url_go_with_it(serve, clock):
    server = serve(ScriptedServer(page_server))
    config = config_for(server, pagination_type="page",
                        pagination_config={"page_param": "page", "page_size_param": "per_page", "page_size": 2,
                                           "total_pages_path": "$.pages"})
    config["url"] = server.url("/issues?page=7&state=all&per_page=50&tag=a&tag=b&key=old")
    config["query_params"] = {"state": "open", "tag": "c"}
    load_all(connect(config, clock))
    assert targets(server) == [
        "/issues?page=1&state=open&per_page=2&tag=c&key=k-1",
        "/issues?page=2&state=open&per_page=2&tag=c&key=k-1",
        "/issues?page=3&state=open&per_page=2&tag=c&key=k-1",  # confirms the full page 2
    ]


def test_url_placeholders_are_filled_and_the_rest_of_the_query_kept(serve, clock):
    server = serve(ScriptedServer(lambda request: {"items": items(1)}))
    config = config_for(server, query_params={"owner": "acme co", "labels": "bug,ui"})
    config["url"] = server.url("/repos/{owner}/issues?state=all&fields=a,b&q=x%20y+z")
    load_all(connect(config, clock))
    assert targets(server) == [f"/repos/acme%20co/issues?state=all&fields=a,b&q=x%20y+z&labels=bug%2Cui&{KEY}"]


def test_poll_placeholders_in_the_urls_query(serve, clock):
    server = serve(ScriptedServer(page_server))
    config = config_for(server, pagination_type="page",
                        pagination_config={"page_param": "page", "total_pages_path": "$.pages"},
                        query_params={"from": "{poll_start}"})
    config["url"] = server.url("/issues?since={poll_start}&until={poll_end}&state=all")
    start, end = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 2, 1, 12, 30, tzinfo=timezone.utc)
    poll_all(connect(config, clock), start, end)
    query = "since=2024-01-01T00:00:00Z&until=2024-02-01T12:30:00Z&state=all&from=2024-01-01T00%3A00%3A00Z"
    # Page 3 confirms the full page 2 at the claimed end.
    assert targets(server) == [f"/issues?{query}&page={n}&{KEY}" for n in (1, 2, 3)]


def test_post_keeps_the_urls_query_and_the_body(serve, clock):
    server = serve(ScriptedServer(page_server))
    config = config_for(server, method="POST", request_body={"filter": {"q": "x"}}, pagination_type="page",
                        pagination_config={"page_param": "page", "total_pages_path": "$.pages"})
    load_all(connect(config, clock))
    # Page 3 confirms the full page 2 at the claimed end, as a POST with the same body.
    assert targets(server) == [f"{PREFIX}&page={n}&{KEY}" for n in (1, 2, 3)]
    assert [(r.method, r.json) for r in server.requests] == [("POST", {"filter": {"q": "x"}})] * 3


# -- cursors: query, body and header placement -----------------------------------------------------


def cursor_server(read_cursor):
    def respond(request: RecordedRequest) -> dict:
        cursor = read_cursor(request)
        if cursor is None:
            return {"items": items(1), "next": "c+2/x"}
        assert cursor == "c+2/x", cursor
        return {"items": items(2), "next": None}

    return respond


def test_cursor_in_query_is_encoded_once_and_the_urls_query_kept(serve, clock):
    server = serve(ScriptedServer(cursor_server(lambda r: r.param("cursor"))))
    pagination = {"cursor_param": "cursor", "next_cursor_path": "$.next"}
    load_all(connect(config_for(server, pagination_type="cursor", pagination_config=pagination), clock))
    assert targets(server) == [f"{PREFIX}&{KEY}", f"{PREFIX}&cursor=c%2B2%2Fx&{KEY}"]


def test_cursor_in_body_leaves_the_query_alone(serve, clock):
    def body_cursor(request: RecordedRequest):
        return ((request.json or {}).get("page") or {}).get("after")

    server = serve(ScriptedServer(cursor_server(body_cursor)))
    pagination = {"cursor_param": "page.after", "cursor_in": "body", "next_cursor_path": "$.next"}
    config = config_for(server, method="POST", request_body={"page": {"size": 2}}, pagination_type="cursor",
                        pagination_config=pagination)
    load_all(connect(config, clock))
    assert targets(server) == [f"{PREFIX}&{KEY}"] * 2
    assert [r.json for r in server.requests] == [{"page": {"size": 2}}, {"page": {"size": 2, "after": "c+2/x"}}]


def test_cursor_in_header_leaves_the_query_alone(serve, clock):
    server = serve(ScriptedServer(cursor_server(lambda r: r.headers.get("x-cursor"))))
    pagination = {"cursor_param": "X-Cursor", "cursor_in": "header", "next_cursor_path": "$.next"}
    load_all(connect(config_for(server, pagination_type="cursor", pagination_config=pagination), clock))
    assert targets(server) == [f"{PREFIX}&{KEY}"] * 2


# -- next links: sent as given, plus auth on the configured origin -----------------------------------


def linked_server(next_link: str, *, header: bool = False):
    """Page 1 names `next_link` (in the body, or as a Link header); anything else is the last page."""

    def respond(request: RecordedRequest) -> Reply:
        if request.path.endswith("/issues") and request.param("state") == "all" and request.param("page") is None:
            if header:
                return Reply(json={"items": items(1)}, headers={"Link": f'<{next_link}>; rel="next"'})
            return Reply(json={"items": items(1), "next": next_link})
        return Reply(json={"items": items(2)})

    return respond


NEXT_LINKS = {
    # next link as the API writes it -> the target page 2 must be requested at
    "absolute, own query": ("{base}/issues?page=2&state=open&sig=a%2Fb%3D", "/issues?page=2&state=open&sig=a%2Fb%3D&key=k-1"),
    "relative query only": ("?page=2&q=x+y", "/issues?page=2&q=x+y&key=k-1"),
    "relative path": ("/v2/issues?after=5&fields=a,b", "/v2/issues?after=5&fields=a,b&key=k-1"),
    "no query": ("/v2/issues/page/2", "/v2/issues/page/2?key=k-1"),
    "key echoed": ("?page=2&key=k-1&x=1", "/issues?page=2&key=k-1&x=1"),
    "fragment": ("?page=2#top", "/issues?page=2&key=k-1"),
}


@pytest.mark.parametrize("case", NEXT_LINKS)
def test_next_url_is_sent_as_given_with_only_auth_added(serve, clock, case):
    link, expected = NEXT_LINKS[case]
    server = serve(ScriptedServer(lambda request: linked_server(link.format(base=server.base_url))(request)))
    config = config_for(server, pagination_type="next_url", pagination_config={"next_url_path": "$.next"})
    docs = load_all(connect(config, clock))
    assert len(docs) == 4
    assert targets(server) == [f"{PREFIX}&{KEY}", expected]


@pytest.mark.parametrize("case", ["absolute, own query", "relative path"])
def test_link_header_is_sent_as_given_with_only_auth_added(serve, clock, case):
    link, expected = NEXT_LINKS[case]
    server = serve(ScriptedServer(lambda request: linked_server(link.format(base=server.base_url), header=True)(request)))
    load_all(connect(config_for(server, pagination_type="link_header"), clock))
    assert targets(server) == [f"{PREFIX}&{KEY}", expected]


def test_auto_detected_link_header_is_sent_as_given(serve, clock):
    server = serve(ScriptedServer(lambda request: linked_server("/issues?page=2&state=all", header=True)(request)))
    load_all(connect(config_for(server, pagination_type="auto"), clock))
    assert targets(server) == [f"{PREFIX}&{KEY}", "/issues?page=2&state=all&key=k-1"]


def test_auto_detected_page_numbers_join_the_urls_query(serve, clock):
    server = serve(ScriptedServer(lambda request: {"items": page_items(int(request.param("page") or 1)), "total_pages": 2}))
    config = config_for(server, pagination_type="auto")
    config["url"] = server.url("/issues?" + URL_QUERY + "&page=1")
    load_all(connect(config, clock))
    assert targets(server) == [
        f"/issues?{URL_QUERY}&page=1&labels=bug%2Cui&{KEY}",
        f"/issues?{URL_QUERY}&page=2&labels=bug%2Cui&{KEY}",
        f"/issues?{URL_QUERY}&page=3&labels=bug%2Cui&{KEY}",  # confirms the full page 2
    ]


def test_next_link_to_another_origin_gets_no_auth_parameter(serve, clock):
    other = serve(ScriptedServer(lambda request: {"items": items(2)}))
    server = serve(ScriptedServer(linked_server(other.url("/elsewhere?page=2&key=public&fields=a,b"))))
    config = config_for(server, pagination_type="next_url", pagination_config={"next_url_path": "$.next"})
    load_all(connect(config, clock))
    assert targets(server) == [f"{PREFIX}&{KEY}"]
    # Credential-named pairs are dropped across origins too; the others keep their bytes.
    assert targets(other) == ["/elsewhere?page=2&fields=a,b"]


# -- retries, redirects, logs ------------------------------------------------------------------------


def test_a_retried_request_is_sent_with_the_same_query_and_logged_as_sent(serve, clock, caplog):
    server = serve(ScriptedServer(page_server)).with_fault(ServerError(only(1), status=503))
    pagination = {"page_param": "page", "total_pages_path": "$.pages"}
    with caplog.at_level(logging.INFO, logger="restsync.http"):
        load_all(connect(config_for(server, pagination_type="page", pagination_config=pagination), clock))
    page1 = f"{PREFIX}&page=1&{KEY}"
    # Page 3 confirms the full page 2 at the claimed end.
    assert targets(server) == [page1, page1, f"{PREFIX}&page=2&{KEY}", f"{PREFIX}&page=3&{KEY}"]
    retry_lines = [record.getMessage() for record in caplog.records if "retry" in record.getMessage()]
    assert retry_lines and retry_lines[0].startswith(f"GET {server.base_url}{PREFIX}&page=1&key=***: HTTP 503")


def test_a_redirect_location_is_followed_as_given(serve, clock):
    def respond(request: RecordedRequest) -> Reply:
        if request.path == "/issues":  # moved: the server keeps the query it was given
            return Reply(301, headers={"Location": "/v2" + request.target})
        page = int(request.param("page") or 1)
        return Reply(json={"items": items(page), "next": "?page=2&state=all" if page == 1 else None})

    server = serve(ScriptedServer(respond))
    config = config_for(server, pagination_type="next_url", pagination_config={"next_url_path": "$.next"})
    load_all(connect(config, clock))
    # The relative next link resolves against the URL that answered, after the redirect.
    assert targets(server) == [f"{PREFIX}&{KEY}", f"/v2{PREFIX}&{KEY}", f"/v2/issues?page=2&state=all&{KEY}"]


# -- detail_url ---------------------------------------------------------------------------------------


def test_detail_url_keeps_its_own_query_and_gets_only_auth(serve, clock):
    def respond(request: RecordedRequest) -> dict:
        if request.path == "/issues":
            return {"items": [{"id": "a/1"}]}
        return {"id": "a/1", "title": "detailed"}

    server = serve(ScriptedServer(respond))
    config = config_for(server, detail_url="/issues/{id}?expand=body&fields=a,b")
    docs = load_all(connect(config, clock))
    assert titles(docs) == ["detailed"]
    assert targets(server) == [f"{PREFIX}&{KEY}", f"/issues/a%2F1?expand=body&fields=a,b&{KEY}"]


# -- checkpoints and resumes ------------------------------------------------------------------------


def test_a_resumed_page_walk_sends_the_full_query(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": items(int(r.param("page") or 1))} if r.param("page") != "3" else {"items": []}))
    config = config_for(server, pagination_type="page", pagination_config={"page_param": "page"}, batch_size=2)
    walk = connect(config, clock).load_from_checkpoint(None)
    _, checkpoint = next(walk)
    walk.close()
    resumed = connect({**config, "headers": {"X-Session": "2"}}, clock)
    list(resumed.load_from_checkpoint(json.loads(json.dumps(checkpoint))))
    assert targets(server, "2") == [f"{PREFIX}&page=2&{KEY}", f"{PREFIX}&page=3&{KEY}"]


def test_a_resumed_next_link_gets_back_a_secret_written_in_the_urls_query(serve, clock):
    def respond(request: RecordedRequest) -> dict:
        if request.param("page") is None:
            return {"items": items(1), "next": "?page=2&access_token=t-secret-1&fields=a,b"}
        return {"items": items(2), "next": None}

    server = serve(ScriptedServer(respond))
    config = config_for(server, auth_type="none", pagination_type="next_url", pagination_config={"next_url_path": "$.next"},
                        batch_size=2)
    config["url"] = server.url("/issues?state=all&access_token=t-secret-1")
    walk = connect(config, clock).load_from_checkpoint(None)
    _, checkpoint = next(walk)
    walk.close()
    assert "t-secret-1" not in json.dumps(checkpoint)
    resumed = connect({**config, "headers": {"X-Session": "2"}}, clock)
    list(resumed.load_from_checkpoint(json.loads(json.dumps(checkpoint))))
    # The stripped pair comes back from the config (here the URL's own query), the rest as the API wrote it.
    assert targets(server, "2") == ["/issues?page=2&fields=a,b&access_token=t-secret-1"]


# -- check, preview, suggest ---------------------------------------------------------------------------


@pytest.mark.parametrize("run", [run_check, run_preview])
def test_check_and_preview_show_the_request_as_sent(serve, clock, run):
    server = serve(ScriptedServer(page_server))
    pagination = {"page_param": "page", "page_size_param": "per_page", "page_size": 2, "total_pages_path": "$.pages"}
    report = run(connect(config_for(server, pagination_type="page", pagination_config=pagination), clock))
    check = getattr(report, "check", report)
    assert targets(server) == [f"{PREFIX}&page=1&per_page=2&{KEY}"]
    assert check.request == f"GET {server.base_url}{PREFIX}&page=1&per_page=2&key=***"


def test_suggest_keeps_repeated_names_in_the_url_and_the_config_sends_them(serve, clock):
    server = serve(ScriptedServer(lambda r: {"items": page_items(int(r.param("page") or 1)), "total_pages": 2}))
    suggestion = suggest_config(server.url("/issues?tag=a&tag=b&state=all&page=1"), allow_private=True)
    config = suggestion.config
    assert config["url"] == server.url("/issues?tag=a&tag=b")
    assert config["query_params"] == {"state": "all"}
    assert targets(server) == ["/issues?tag=a&tag=b&state=all&page=1"]
    server.requests.clear()
    load_all(connect({**config, "content_fields": ["title"]}, clock))
    # Page 3 confirms the full page 2 at the claimed end.
    assert targets(server) == [f"/issues?tag=a&tag=b&state=all&page={n}" for n in (1, 2, 3)]
