"""`suggest`: a starting config inferred from one response, on several real-world response shapes."""

from __future__ import annotations

import httpx
import yaml

from restsync.demo.server import DemoApiServer
from restsync.http.request import ApiResponse, RequestSpec
from restsync.suggest import suggest_config, suggest_from_response

SECRET = "s3cr3t-value-never-written"


def response(data, url="https://api.example.com/v1/items", method="GET", headers=None, body=None) -> ApiResponse:
    request = RequestSpec(method, url, json=body)
    return ApiResponse(200, httpx.Headers(headers or {}), url, data, request)


def github_issue(number: int) -> dict:
    return {
        "id": 9000 + number, "number": number, "title": f"Crash when saving file {number}",
        "body": "Steps to reproduce: open the editor, type a long paragraph and press save. " * 3,
        "state": "open", "comments": number % 4, "locked": False,
        "url": f"https://api.github.com/repos/o/r/issues/{number}",
        "html_url": f"https://github.com/o/r/issues/{number}",
        "user": {"login": f"dev{number % 3}", "id": 77},
        "labels": [{"name": "bug", "color": "f00"}, {"name": "editor", "color": "0f0"}],
        "created_at": "2024-03-01T10:00:00Z", "updated_at": f"2024-03-{number + 1:02d}T12:00:00Z",
    }


def test_github_shape_top_level_list_with_bearer_auth():
    issues = [github_issue(n) for n in range(1, 6)]
    suggestion = suggest_from_response(
        response(issues, url="https://api.github.com/repos/o/r/issues?state=all&per_page=50"),
        headers={"Authorization": f"Bearer {SECRET}", "Accept": "application/vnd.github+json"},
    )
    config = suggestion.config
    assert config["url"] == "https://api.github.com/repos/o/r/issues"
    assert "items_path" not in config  # the response itself is the array
    assert config["id_field"] == "id"
    assert config["title_field"] == "title"
    assert config["content_fields"] == ["title", "body"]
    assert config["poll_timestamp_field"] == "updated_at"  # last update preferred over creation
    assert config["link_field"] == "html_url"  # the page, not the API URL
    assert {"user.login", "labels[*].name", "state"} <= set(config["metadata_fields"])
    assert not {"url", "user.id", "labels[*].color", "id"} & set(config["metadata_fields"])
    assert config["auth_type"] == "bearer" and config["credentials"] == {"token": "${GITHUB_TOKEN}"}
    assert config["headers"] == {"Accept": "application/vnd.github+json"}
    assert config["query_params"]["state"] == "all"
    text = suggestion.to_yaml()
    assert SECRET not in text
    assert "# 'html_url' holds a URL" in text
    assert yaml.safe_load(text)["content_fields"] == ["title", "body"]


def test_wrapped_items_with_nested_rendered_html_and_basic_auth():
    posts = [{"id": n, "link": f"https://blog.example.org/?p={n}", "modified_gmt": f"2024-01-0{n}T08:00:00",
              "title": {"rendered": f"Post {n}"}, "status": "publish",
              "content": {"rendered": f"<p>Paragraph {n}</p>" + "<p>More words in the post.</p>" * 4}}
             for n in range(1, 4)]
    suggestion = suggest_from_response(response({"total": 3, "posts": posts}),
                                       headers={"authorization": "Basic dXNlcjpwYXNz"})
    config = suggestion.config
    assert config["items_path"] == "$.posts"
    assert config["title_field"] == "title.rendered"
    assert config["content_fields"] == ["title.rendered", "content.rendered"]
    assert config["poll_timestamp_field"] == "modified_gmt"
    assert config["link_field"] == "link"
    assert config["auth_type"] == "basic"
    assert set(config["credentials"]) == {"username", "password"}
    assert "dXNlcjpwYXNz" not in suggestion.to_yaml()


def test_post_search_with_api_key_header_and_epoch_timestamps():
    results = [{"key": f"DOC-{n}", "name": f"Runbook {n}", "text": "Restart the service and watch the logs. " * 4,
                "owner": {"name": "Ops"}, "modified": 1_700_000_000 + n * 3600, "priority": n}
               for n in range(4)]
    suggestion = suggest_from_response(
        response({"results": results}, method="POST", body={"query": "runbook"}),
        headers={"X-Api-Key": SECRET},
    )
    config = suggestion.config
    assert config["method"] == "POST" and config["request_body"] == {"query": "runbook"}
    assert config["items_path"] == "$.results"
    assert config["id_field"] == "key" and config["title_field"] == "name"
    assert config["poll_timestamp_field"] == "modified"
    assert {"owner.name", "priority"} <= set(config["metadata_fields"])
    assert config["auth_type"] == "api_key_header"
    assert config["auth_config"] == {"header_name": "X-Api-Key"}
    assert config["credentials"]["api_key"].startswith("${")
    assert SECRET not in suggestion.to_yaml()


def test_key_in_query_string_becomes_api_key_query_and_leaves_the_url():
    url = f"https://data.example.net/records?apikey={SECRET}&lang=en"
    suggestion = suggest_from_response(response([{"id": 1, "title": "x"}], url=url))
    config = suggestion.config
    assert config["auth_type"] == "api_key_query" and config["auth_config"] == {"param_name": "apikey"}
    assert config["query_params"] == {"lang": "en"}
    assert SECRET not in suggestion.to_yaml()


def test_ids_that_repeat_are_not_proposed_and_no_list_is_a_warning():
    repeated = [{"id": 1, "title": "a"}, {"id": 1, "title": "b"}]
    suggestion = suggest_from_response(response({"items": repeated}))
    assert "id_field" not in suggestion.config
    assert any("no unique id" in w for w in suggestion.warnings)
    empty = suggest_from_response(response({"count": 0}))
    assert any("items_path" in w for w in empty.warnings)
    assert "# WARNING:" in empty.to_yaml()


def test_suggest_against_a_live_api_gives_a_config_that_loads(tmp_path):
    from restsync.config import load_config

    with DemoApiServer() as server:
        suggestion = suggest_config(f"{server.url}/api/articles?per_page=10", allow_private=True)
    config = suggestion.config
    assert config["items_path"] == "$.articles"
    assert config["id_field"] == "id" and config["link_field"] == "html_url"
    assert config["poll_timestamp_field"] == "updated_at"
    assert {"author.name", "tags[*].name", "category"} <= set(config["metadata_fields"])
    path = tmp_path / "suggested.yaml"
    path.write_text(suggestion.to_yaml(), encoding="utf-8")
    loaded = load_config(path)
    assert loaded.items_path == "$.articles" and loaded.content_fields[0] == "title"


def test_two_credential_headers_keep_both_one_as_auth_one_as_a_placeholder_header():
    from restsync.config import load_config

    other = "k3y-also-never-written"
    for headers in ({"Authorization": f"Bearer {SECRET}", "X-Api-Key": other},
                    {"X-Api-Key": other, "Authorization": f"Bearer {SECRET}"}):  # the order given does not matter
        suggestion = suggest_from_response(response([{"id": 1, "title": "x"}]), headers=headers)
        config = suggestion.config
        assert config["auth_type"] == "bearer" and config["credentials"] == {"token": "${EXAMPLE_TOKEN}"}
        assert config["headers"] == {"X-Api-Key": "${EXAMPLE_X_API_KEY}"}
        text = suggestion.to_yaml()
        assert SECRET not in text and other not in text
        assert "X-Api-Key header also carried a credential" in text
        loaded = load_config(yaml.safe_load(text), env={"EXAMPLE_TOKEN": SECRET, "EXAMPLE_X_API_KEY": other})
        assert loaded.credentials["token"] == SECRET and loaded.headers["X-Api-Key"] == other


def test_a_second_credential_never_shares_the_auth_credential_variable():
    url = f"https://api.example.com/v1/items?api_key={SECRET}"
    suggestion = suggest_from_response(response([{"id": 1}], url=url), headers={"Api-Key": "k", "Authorization": "Token t"})
    config = suggestion.config
    assert config["auth_type"] == "api_key_header" and config["auth_config"] == {"header_name": "Api-Key"}
    assert config["credentials"] == {"api_key": "${EXAMPLE_API_KEY}"}
    assert config["headers"] == {"Authorization": "Token ${EXAMPLE_AUTHORIZATION}"}  # the scheme word stays
    assert config["query_params"] == {"api_key": "${EXAMPLE_API_KEY_2}"}
    assert SECRET not in suggestion.to_yaml()
