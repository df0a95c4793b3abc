"""Faults on the wire: every walk yields each item exactly once or raises a restsync error, never a
silent partial result. The fake clock makes every backoff and Retry-After wait free."""

from __future__ import annotations

import pytest

from restsync.errors import AuthError, CredentialError, InvalidResponseError, RestSyncError, RetriesExhaustedError
from servers import GitHubServer, JiraServer, StripeServer, ZendeskServer
from servers.faults import ResetMidBody, ServerError, TooManyRequests, TruncatedJson, always, every, only
from servers.harness import assert_unique, connect, load_all

COUNT = 137


def jira_config(server: JiraServer) -> dict:
    """Addressable pages (offset + total): fetched concurrently, so faults hit pages in flight together."""
    return {
        "url": server.url("/rest/api/2/search"),
        "items_path": "$.issues",
        "pagination_type": "offset",
        "pagination_config": {"offset_param": "startAt", "limit_param": "maxResults", "limit": 20,
                              "total_path": "$.total"},
        "id_field": "key", "content_fields": ["fields.summary", "fields.description"],
        "request_delay": 0,
    }


def zendesk_config(server: ZendeskServer) -> dict:
    """Sequential pages (each next URL comes from the previous response)."""
    return {
        "url": server.url("/api/v2/tickets.json"),
        "query_params": {"page[size]": "20"},
        "items_path": "$.tickets",
        "pagination_type": "next_url",
        "pagination_config": {"next_url_path": "$.links.next", "has_more_path": "$.meta.has_more"},
        "id_field": "id", "content_fields": ["subject", "description"],
        "request_delay": 0,
    }


SHAPES = {"jira": (JiraServer, jira_config), "zendesk": (ZendeskServer, zendesk_config)}


def start(serve, shape: str, *faults):
    server_class, make_config = SHAPES[shape]
    server = serve(server_class(COUNT))
    for fault in faults:
        server.with_fault(fault)
    return server, make_config(server)


def assert_complete(docs) -> None:
    assert len(docs) == COUNT
    assert_unique(docs)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_third_request_fails_with_500(serve, clock, shape):
    fault = ServerError(every(3))
    server, config = start(serve, shape, fault)
    docs = load_all(connect(config, clock))
    assert_complete(docs)
    assert fault.hits  # the fault really fired, and each failed page was asked again
    assert len(server.requests) == 7 + len(fault.hits)  # 7 pages of 20; each ends on a total / has_more
    assert clock.sleeps and all(s > 0 for s in clock.sleeps)  # backed off, on the fake clock


@pytest.mark.parametrize("shape", SHAPES)
def test_429_with_http_date_retry_after(serve, clock, shape):
    fault = TooManyRequests(only(2), now=clock.time, wait_s=30)
    server, config = start(serve, shape, fault)
    docs = load_all(connect(config, clock))
    assert_complete(docs)
    assert fault.hits == [2]
    assert 29 <= sum(clock.sleeps) <= 31, clock.sleeps  # waited for the date, not a default backoff


@pytest.mark.parametrize("shape", SHAPES)
def test_connection_reset_mid_body_is_retried(serve, clock, shape):
    fault = ResetMidBody(only(2))
    server, config = start(serve, shape, fault)
    docs = load_all(connect(config, clock))
    assert_complete(docs)
    assert fault.hits == [2]


@pytest.mark.parametrize("shape", SHAPES)
def test_truncated_json_once_is_recovered(serve, clock, shape):
    fault = TruncatedJson(only(2))
    server, config = start(serve, shape, fault)
    docs = load_all(connect(config, clock))
    assert_complete(docs)
    assert fault.hits == [2]


def test_truncated_json_always_is_a_clear_error(serve, clock):
    server, config = start(serve, "zendesk", TruncatedJson(always()))
    with pytest.raises((InvalidResponseError, RetriesExhaustedError)) as raised:
        load_all(connect(config, clock))
    assert "tickets.json" in str(raised.value)  # names the request
    assert raised.value.request


def test_persistent_500_is_retries_exhausted_naming_the_request(serve, clock):
    server, config = start(serve, "zendesk", ServerError(lambda n: n >= 3))
    connector = connect(config, clock)
    received = []
    with pytest.raises(RetriesExhaustedError) as raised:
        for batch in connector.load_from_state():
            received.extend(batch)
    assert "tickets.json" in str(raised.value)
    assert len(received) < COUNT  # what came before the failure, never passed off as complete
    assert not connector.report.complete


SCENARIOS = {
    "500 every 2nd": lambda clock: ServerError(every(2)),
    "503 every 4th": lambda clock: ServerError(every(4), status=503),
    "429 on 1 and 3": lambda clock: TooManyRequests(only(1, 3), now=clock.time, wait_s=5),
    "reset on 1, 4": lambda clock: ResetMidBody(only(1, 4)),
    "truncated on 3": lambda clock: TruncatedJson(only(3)),
    "500 always": lambda clock: ServerError(always()),
    "reset always": lambda clock: ResetMidBody(always()),
}


@pytest.mark.parametrize("shape", ["jira", "zendesk"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_all_or_a_restsync_error_never_a_silent_partial(serve, clock, shape, scenario):
    server, config = start(serve, shape, SCENARIOS[scenario](clock))
    connector = connect(config, clock)
    try:
        docs = load_all(connector)
    except RestSyncError:
        assert not connector.report.complete
        return
    assert_complete(docs)
    assert connector.report.complete and not connector.report.truncated


def test_stripe_cursor_walk_survives_mixed_faults(serve, clock):
    server = serve(StripeServer(301))
    server.with_fault(ServerError(only(2))).with_fault(ResetMidBody(only(4))).with_fault(TruncatedJson(only(6)))
    config = {
        "url": server.url("/v1/customers"), "auth_type": "basic",
        "credentials": {"username": "sk_test_123", "password": ""},
        "query_params": {"limit": "100"}, "items_path": "$.data", "pagination_type": "cursor",
        "pagination_config": {"cursor_param": "starting_after", "cursor_from": "last_item",
                              "cursor_item_field": "id", "has_more_path": "$.has_more"},
        "id_field": "id", "content_fields": ["name"],
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 301
    assert_unique(docs)
    assert len(server.requests) == 4 + 3  # four pages, three of them asked twice


@pytest.mark.parametrize("token", ["ghp_wrong", None])
def test_bad_credentials_fail_at_once_without_retries(serve, clock, token):
    server = serve(GitHubServer(30))
    config = {"url": server.url("/repos/acme/widgets/issues"), "auth_type": "bearer",
              "auth_config": {"token": token} if token else {}, "content_fields": ["title"],
              "pagination_type": "link_header"}
    with pytest.raises((AuthError, CredentialError)):
        load_all(connect(config, clock))
    assert len(server.requests) <= 1  # a 401 is never retried; a missing token sends nothing
    assert not clock.sleeps
