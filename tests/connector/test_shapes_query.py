"""End to end: each real API shape whose paging lives in the query string or a next URL, configured
as a user would write it, walked to the end by `load_from_state()`."""

from __future__ import annotations

import pytest

from servers import (AirtableServer, ConfluenceServer, GitHubServer, HubSpotServer, JiraServer, ODataServer,
                     SlackServer, StripeServer, WordPressServer, ZendeskServer, sample_items)
from servers.harness import assert_mapped, assert_unique, by_title, connect, load_all


def github_config(server: GitHubServer, pagination_type: str = "link_header") -> dict:
    return {
        "url": server.url("/repos/acme/widgets/issues"),
        "headers": {"Accept": "application/vnd.github+json"},
        "query_params": "state=all\nper_page=100",
        "auth_type": "bearer",
        "pagination_type": pagination_type,
        "id_field": "number",
        "title_field": "title",
        "content_fields": "title, body",
        "metadata_fields": ["user.login", "labels[*].name"],
        "poll_timestamp_field": "updated_at",
        "link_field": "html_url",
    }


@pytest.mark.parametrize("pagination_type", ["link_header", "auto"])
def test_github_link_header(serve, clock, pagination_type):
    server = serve(GitHubServer(237))
    connector = connect(github_config(server, pagination_type), clock, credentials={"token": "ghp_testtoken"})
    docs = load_all(connector)
    assert len(docs) == 237
    assert_unique(docs)
    assert [r.param("page") for r in server.requests] == [None, "2", "3"]
    assert all(r.param("per_page") == "100" for r in server.requests)
    item = sample_items(237)[2]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://github.com/acme/widgets/issues/{item.number}",
                  metadata={"user.login": item.author})
    assert not connector.report.truncated


def test_github_rate_limit_403_is_waited_out_not_an_auth_failure(serve, clock):
    server = serve(GitHubServer(237, rate_limit_on={2}, reset_in_s=60, now=clock.time))
    connector = connect(github_config(server), clock, credentials={"token": "ghp_testtoken"})
    docs = load_all(connector)
    assert len(docs) == 237
    assert_unique(docs)
    assert len(server.requests) == 4  # page 2 asked twice: once refused, once served
    assert 60 <= sum(clock.sleeps) <= 120, clock.sleeps  # waited until X-RateLimit-Reset, not longer


def test_github_max_pages_is_reported_as_truncation(serve, clock):
    server = serve(GitHubServer(237))
    config = {**github_config(server), "max_pages": 2}
    connector = connect(config, clock, credentials={"token": "ghp_testtoken"})
    docs = load_all(connector)
    assert len(docs) == 200
    assert len(server.requests) == 2
    assert connector.report.truncated
    assert "max_pages" in connector.report.truncation_reason


@pytest.mark.parametrize("pagination_type", ["cursor", "auto"])
def test_stripe_starting_after_last_item(serve, clock, pagination_type):
    server = serve(StripeServer(1001))
    config = {
        "url": server.url("/v1/customers"),
        "auth_type": "basic",
        "credentials": {"username": "sk_test_123", "password": ""},
        "query_params": {"limit": "100"},
        "items_path": "$.data",
        "pagination_type": pagination_type,
        "pagination_config": {"cursor_param": "starting_after", "cursor_from": "last_item",
                              "cursor_item_field": "id", "has_more_path": "$.has_more"}
        if pagination_type == "cursor" else {},
        "id_field": "id", "title_field": "name", "content_fields": ["name", "description"],
        "metadata_fields": ["email", "metadata.owner"], "poll_timestamp_field": "created",
        "link_template": "https://dashboard.stripe.com/customers/{id}",
        "request_delay": 0,
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 1001
    assert_unique(docs)
    assert len(server.requests) == 11
    assert server.requests[0].param("starting_after") is None
    assert server.requests[1].param("starting_after") == "cus_00000902"  # last id of page 1, newest first
    item = sample_items(1001)[5]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://dashboard.stripe.com/customers/cus_{item.number:08d}",
                  metadata={"metadata.owner": item.author, "email": f"{item.author}@example.com"})


@pytest.mark.parametrize("pagination_type", ["offset", "auto"])
def test_jira_offset_with_total_and_server_cap(serve, clock, pagination_type):
    server = serve(JiraServer(237))
    config = {
        "url": server.url("/rest/api/2/search"),
        "query_params": {"jql": "project = PROJ ORDER BY key", **({"maxResults": "100"} if pagination_type == "auto" else {})},
        "items_path": "$.issues",
        "pagination_type": pagination_type,
        "pagination_config": {"offset_param": "startAt", "limit_param": "maxResults", "limit": 100,
                              "total_path": "$.total"} if pagination_type == "offset" else {},
        "id_field": "key", "title_field": "fields.summary", "content_fields": ["fields.summary", "fields.description"],
        "metadata_fields": ["fields.reporter.displayName", "fields.status.name"],
        "poll_timestamp_field": "fields.updated",
        "link_template": "https://acme.atlassian.net/browse/{key}",
        "request_delay": 0,
    }
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(docs) == 237
    assert_unique(docs)
    # Asked for 100, served 50: offsets advance by what arrived, and the total ends the walk.
    assert sorted(int(r.param("startAt") or 0) for r in server.requests) == [0, 50, 100, 150, 200]
    item = sample_items(237)[8]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://acme.atlassian.net/browse/PROJ-{item.number}",
                  metadata={"fields.reporter.displayName": item.author.title()})
    assert connector.report.complete and not connector.report.truncated


@pytest.mark.parametrize("pagination_type", ["cursor", "auto"])
def test_hubspot_paging_next_after(serve, clock, pagination_type):
    server = serve(HubSpotServer(237))
    config = {
        "url": server.url("/crm/v3/objects/tickets"),
        "auth_type": "bearer", "auth_config": {"token": "pat-na1-test"},
        "query_params": {"limit": "100", "properties": "subject,content,hs_lastmodifieddate"},
        "items_path": "$.results",
        "pagination_type": pagination_type,
        "pagination_config": {"cursor_param": "after", "next_cursor_path": "$.paging.next.after"}
        if pagination_type == "cursor" else {},
        "id_field": "id", "title_field": "properties.subject",
        "content_fields": ["properties.subject", "properties.content"],
        "metadata_fields": ["properties.hubspot_owner_name"],
        "poll_timestamp_field": "properties.hs_lastmodifieddate",
        "link_template": "https://app.hubspot.com/contacts/1/ticket/{id}",
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    assert [r.param("after") for r in server.requests] == [None, "100", "200"]
    item = sample_items(237)[11]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://app.hubspot.com/contacts/1/ticket/{5000 + item.number}",
                  metadata={"properties.hubspot_owner_name": item.author})


@pytest.mark.parametrize("pagination_type", ["next_url", "auto"])
def test_zendesk_links_next(serve, clock, pagination_type):
    server = serve(ZendeskServer(237))
    config = {
        "url": server.url("/api/v2/tickets.json"),
        "query_params": {"page[size]": "100"},
        "items_path": "$.tickets",
        "pagination_type": pagination_type,
        "pagination_config": {"next_url_path": "$.links.next", "has_more_path": "$.meta.has_more"}
        if pagination_type == "next_url" else {},
        "id_field": "id", "title_field": "subject", "content_fields": "subject,description",
        "metadata_fields": "requester.name,status", "poll_timestamp_field": "updated_at",
        "link_field": "url",
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    assert len(server.requests) == 3
    assert all(r.param("page[size]") == "100" for r in server.requests)
    item = sample_items(237)[14]
    assert_mapped(by_title(docs)[item.title], item, link=server.url(f"/api/v2/tickets/{40000 + item.number}.json"),
                  metadata={"requester.name": item.author, "status": "open"})


@pytest.mark.parametrize("pagination_type", ["cursor", "auto"])
def test_slack_empty_next_cursor_ends(serve, clock, pagination_type):
    server = serve(SlackServer(450))
    config = {
        "url": server.url("/api/conversations.history"),
        "auth_type": "bearer", "credentials": {"token": "xoxb-test"},
        "query_params": {"channel": "C0123456", "limit": "200"},
        "items_path": "$.messages",
        "pagination_type": pagination_type,
        "pagination_config": {"cursor_param": "cursor", "next_cursor_path": "$.response_metadata.next_cursor"}
        if pagination_type == "cursor" else {},
        "id_field": "ts", "content_fields": ["text"], "metadata_fields": ["username"],
        "poll_timestamp_field": "ts",
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 450
    assert_unique(docs)
    assert len(server.requests) == 3
    assert server.requests[0].param("cursor") is None
    item = sample_items(450)[20]
    doc = next(d for d in docs if d.content.startswith(item.title + "\n"))
    assert item.plain_body in doc.content
    assert doc.metadata["username"] == item.author
    # "1704...nnn.000021": epoch seconds with a fraction, kept to the microsecond.
    assert doc.doc_updated_at.timestamp() == pytest.approx(item.epoch + item.number / 1e6)


@pytest.mark.parametrize("pagination_type", ["next_url", "auto"])
def test_odata_next_link(serve, clock, pagination_type):
    server = serve(ODataServer(237))
    config = {
        "url": server.url("/v1.0/me/messages"),
        "query_params": {"$top": "500"},
        "items_path": "$.value",
        "pagination_type": pagination_type,
        "pagination_config": {"next_url_path": "$['@odata.nextLink']"} if pagination_type == "next_url" else {},
        "id_field": "id", "title_field": "subject", "content_fields": ["subject", "body.content"],
        "metadata_fields": ["from.emailAddress.name"], "poll_timestamp_field": "lastModifiedDateTime",
        "link_field": "webLink",
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    assert len(server.requests) == 3  # the server pages by 100 whatever $top asks
    item = sample_items(237)[29]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://outlook.office365.com/owa/?ItemID={item.number}",
                  metadata={"from.emailAddress.name": item.author})


@pytest.mark.parametrize("pagination_type", ["page", "auto"])
def test_wordpress_totals_in_headers(serve, clock, pagination_type):
    server = serve(WordPressServer(237))
    config = {
        "url": server.url("/wp-json/wp/v2/posts"),
        "query_params": {"per_page": "100"} if pagination_type == "auto" else {},
        "pagination_type": pagination_type,
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 100}
        if pagination_type == "page" else {},
        "id_field": "id", "title_field": "title.rendered", "content_fields": ["title.rendered", "content.rendered"],
        "metadata_fields": ["author", "slug"], "poll_timestamp_field": "modified_gmt", "link_field": "link",
        "request_delay": 0,
    }
    connector = connect(config, clock)
    docs = load_all(connector)
    assert len(docs) == 237
    assert_unique(docs)
    # X-WP-TotalPages says 3: asking for page 4 would be a 400 from WordPress.
    assert sorted(int(r.param("page") or 1) for r in server.requests) == [1, 2, 3]
    item = sample_items(237)[5]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://blog.example.com/item-{item.number}/",
                  metadata={"author": 1 + item.number % 5, "slug": f"item-{item.number}"})
    assert connector.report.complete


@pytest.mark.parametrize("pagination_type", ["next_url", "auto"])
def test_confluence_relative_next_link(serve, clock, pagination_type):
    server = serve(ConfluenceServer(237))
    config = {
        "url": server.url("/wiki/api/v2/pages"),
        "query_params": {"limit": "100", "body-format": "storage"},
        "items_path": "$.results",
        "pagination_type": pagination_type,
        "pagination_config": {"next_url_path": "$._links.next"} if pagination_type == "next_url" else {},
        "id_field": "id", "title_field": "title", "content_fields": ["title", "body.storage.value"],
        "metadata_fields": ["version.authorId", "spaceId"], "poll_timestamp_field": "version.createdAt",
        "link_template": "https://acme.atlassian.net/wiki{_links_webui}",  # _links.webui
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    assert len(server.requests) == 3
    assert all(r.path == "/wiki/api/v2/pages" for r in server.requests)
    item = sample_items(237)[32]
    assert_mapped(by_title(docs)[item.title], item,
                  link=f"https://acme.atlassian.net/wiki/spaces/ENG/pages/{98000 + item.number}",
                  metadata={"version.authorId": item.author, "spaceId": "65537"})


@pytest.mark.parametrize("pagination_type", ["cursor", "auto"])
def test_airtable_offset_token(serve, clock, pagination_type):
    server = serve(AirtableServer(237))
    config = {
        "url": server.url("/v0/appA1b2C3d4E5f6G7/Tasks"),
        "auth_type": "bearer",
        "query_params": {"pageSize": "100", "view": "Grid view"},
        "items_path": "$.records",
        "pagination_type": pagination_type,
        "pagination_config": {"cursor_param": "offset", "next_cursor_path": "$.offset"}
        if pagination_type == "cursor" else {},
        "id_field": "id", "title_field": "fields.Name", "content_fields": ["fields.Name", "fields.Notes"],
        "metadata_fields": ["fields.Assignee"], "poll_timestamp_field": "fields.Updated",
        "link_template": "https://airtable.com/appA1b2C3d4E5f6G7/{id}",
    }
    connector = connect(config, clock)
    connector.load_credentials({"token": "patAirtable.secret"})
    docs = load_all(connector)
    assert len(docs) == 237
    assert_unique(docs)
    assert len(server.requests) == 3
    assert all(r.param("view") == "Grid view" for r in server.requests)
    item = sample_items(237)[2]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://airtable.com/appA1b2C3d4E5f6G7/rec{item.number:014d}",
                  metadata={"fields.Assignee": item.author})

