"""End to end: API shapes that page through the JSON request body (POST): Notion, Elasticsearch
`search_after`, GraphQL Relay cursors."""

from __future__ import annotations

import pytest

from servers import ElasticsearchServer, GraphQLServer, NotionServer, sample_items
from servers.graphql import ISSUES_QUERY
from servers.harness import assert_mapped, assert_unique, by_title, connect, load_all
from servers.notion import DATABASE_ID, QUERY_PATH, page_id


@pytest.mark.parametrize("pagination_type", ["cursor", "auto"])
def test_notion_start_cursor_in_body(serve, clock, pagination_type):
    server = serve(NotionServer(237))
    config = {
        "url": server.url(QUERY_PATH),
        "method": "POST",
        "headers": {"Notion-Version": "2022-06-28"},
        "auth_type": "bearer", "credentials": {"token": "secret_notion"},
        "request_body": {"page_size": 100, "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}]},
        "items_path": "$.results",
        "pagination_type": pagination_type,
        "pagination_config": {"cursor_in": "body", "cursor_param": "start_cursor",
                              "next_cursor_path": "$.next_cursor", "has_more_path": "$.has_more"}
        if pagination_type == "cursor" else {},
        "id_field": "id",
        "title_field": "properties.Name.title[0].plain_text",
        "content_fields": ["properties.Name.title[0].plain_text", "properties.Body.rich_text[*].plain_text"],
        "metadata_fields": ["properties.Owner.select.name"],
        "poll_timestamp_field": "last_edited_time",
        "link_field": "url",
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    assert [r.method for r in server.requests] == ["POST"] * 3
    bodies = [r.json for r in server.requests]
    assert "start_cursor" not in bodies[0]  # Notion rejects a null cursor
    assert all(b["page_size"] == 100 and b["sorts"] for b in bodies)
    assert bodies[1]["start_cursor"] and bodies[2]["start_cursor"] != bodies[1]["start_cursor"]
    item = sample_items(237)[2]
    assert_mapped(by_title(docs)[item.title], item,
                  link=f"https://www.notion.so/{page_id(item).replace('-', '')}",
                  metadata={"properties.Owner.select.name": item.author})
    assert DATABASE_ID in server.requests[0].path


def test_elasticsearch_search_after_sort_array(serve, clock):
    server = serve(ElasticsearchServer(237))
    config = {
        "url": server.url("/articles/_search"),
        "method": "POST",
        "request_body": {"size": 100, "query": {"match_all": {}}, "sort": [{"updated_at": "asc"}, {"doc_id": "asc"}]},
        "items_path": "$.hits.hits",
        "pagination_type": "cursor",
        "pagination_config": {"cursor_in": "body", "cursor_param": "search_after",
                              "cursor_from": "last_item", "cursor_item_field": "sort"},
        "id_field": "_id", "title_field": "_source.title", "content_fields": ["_source.title", "_source.body"],
        "metadata_fields": ["_source.author"], "poll_timestamp_field": "_source.updated_at",
        "link_template": "https://kb.example.com/articles/{id}",
        "request_delay": 0,
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    # No has_more in a search response: three full-or-short pages, then an empty one ends it.
    assert len(server.requests) == 4
    items = sample_items(237)
    assert "search_after" not in server.requests[0].json
    assert server.requests[1].json["search_after"] == [items[99].epoch_ms, 100]  # an array, kept as one
    assert server.requests[3].json["search_after"] == [items[236].epoch_ms, 237]
    item = items[44]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://kb.example.com/articles/art-{item.number}",
                  metadata={"_source.author": item.author})


def test_graphql_variables_after(serve, clock):
    server = serve(GraphQLServer(237))
    config = {
        "url": server.url("/graphql"),
        "method": "POST",
        "auth_type": "bearer", "credentials": {"token": "ghp_graphql"},
        "request_body": {"query": ISSUES_QUERY, "variables": {"first": 100, "after": None}},
        "items_path": "$.data.search.nodes",
        "pagination_type": "cursor",
        "pagination_config": {"cursor_in": "body", "cursor_param": "variables.after",
                              "next_cursor_path": "$.data.search.pageInfo.endCursor",
                              "has_more_path": "$.data.search.pageInfo.hasNextPage"},
        "id_field": "id", "title_field": "title", "content_fields": ["title", "body"],
        "metadata_fields": ["author.login", "number"], "poll_timestamp_field": "updatedAt", "link_field": "url",
    }
    docs = load_all(connect(config, clock))
    assert len(docs) == 237
    assert_unique(docs)
    assert len(server.requests) == 3
    variables = [r.json["variables"] for r in server.requests]
    assert variables[0].get("after") is None and all(v["first"] == 100 for v in variables)
    assert variables[1]["after"] and variables[2]["after"] and variables[1]["after"] != variables[2]["after"]
    assert all(r.json["query"] == ISSUES_QUERY for r in server.requests)
    item = sample_items(237)[199]
    assert_mapped(by_title(docs)[item.title], item, link=f"https://github.com/acme/widgets/issues/{item.number}",
                  metadata={"author.login": item.author, "number": item.number})
