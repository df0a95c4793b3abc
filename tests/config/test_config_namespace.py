"""`config.namespace`: stable per endpoint, different for different endpoints."""

from __future__ import annotations

from restsync.config import SourceConfig


def namespace(url: str, **raw) -> str:
    return SourceConfig.from_mapping({"url": url, "content_fields": ["title"], **raw}).namespace


def test_source_id_wins():
    assert namespace("https://api.example.com/a", source_id="helpdesk") == "helpdesk"


def test_host_case_default_port_and_query_order_do_not_matter():
    base = namespace("https://api.example.com/v1/items?state=open&type=bug")
    assert namespace("https://API.Example.com:443/v1/items?type=bug&state=open") == base
    assert namespace("https://api.example.com/v1/items", query_params={"type": "bug", "state": "open"}) == base
    assert namespace("https://api.example.com/v1/items", query_params="state=open\ntype=bug") == base


def test_what_is_listed_changes_the_namespace():
    base = namespace("https://api.example.com/v1/items?state=open")
    different = [
        namespace("https://api.example.com/v1/items?state=closed"),
        namespace("https://api.example.com/v1/other?state=open"),
        namespace("https://api.example.com:8443/v1/items?state=open"),
        namespace("http://api.example.com/v1/items?state=open"),
        namespace("https://api.example.com.attacker.tld/v1/items?state=open"),
        namespace("https://api.example.com/v1/items?state=open", method="POST"),
        namespace("https://api.example.com/v1/items", query_params={"tenant": "abc", "state": "open"}),
    ]
    assert base not in different
    assert len(set(different)) == len(different)


def test_poll_window_and_pagination_parameters_are_left_out():
    base = namespace("https://api.example.com/v1/items?state=open")
    windowed = namespace(
        "https://api.example.com/v1/items?state=open",
        query_params={"since": "{poll_start}", "until": "{poll_end}", "page": "1", "per_page": "50"},
        pagination_type="page",
        pagination_config={"page_param": "page", "page_size_param": "per_page"},
    )
    assert windowed == base


def test_post_body_is_part_of_the_identity_except_the_window():
    url = "https://search.example.com/idx/_search"
    first = namespace(url, method="POST", request_body={"query": {"term": {"team": "a"}}})
    second = namespace(url, method="POST", request_body={"query": {"term": {"team": "b"}}})
    assert first != second
    windowed = namespace(
        url, method="POST", request_body={"query": {"term": {"team": "a"}}, "since": "{poll_start}"}
    )
    assert windowed == first
    reordered = namespace(url, method="POST", request_body='{"query": {"term": {"team": "a"}}}')
    assert reordered == first
