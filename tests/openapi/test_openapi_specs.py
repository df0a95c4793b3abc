"""Configs inferred from trimmed copies of real published descriptions (tests/data/openapi/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from restsync.config import load_config
from restsync.errors import ConfigError
from restsync.openapi import choose, infer_config, list_collections, load_spec

DATA = Path(__file__).resolve().parents[1] / "data" / "openapi"


class _AnyEnv(dict):
    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        return f"fake-{name.lower()}"


def suggest(name: str, operation: str, **kwargs):
    spec = load_spec(str(DATA / name))
    return infer_config(spec, choose(spec, operation=operation), **kwargs)


def loads(suggestion) -> None:
    """The YAML as written loads as a config (placeholders filled), with no unknown key."""
    config = load_config(yaml.safe_load(suggestion.to_yaml()), env=_AnyEnv(), strict=True)
    config.check_required()


def test_github_issues_top_level_array_link_header_bearer_and_path_parameters():
    suggestion = suggest("github-issues.yaml", "issues/list-for-repo")
    config = suggestion.config
    assert config["url"] == "https://api.github.com/repos/{owner}/{repo}/issues"
    assert "items_path" not in config  # the response is the array itself
    assert config["auth_type"] == "bearer" and config["credentials"] == {"token": "${GITHUB_TOKEN}"}
    assert config["pagination_type"] == "link_header"
    assert config["query_params"] == {"owner": "CHANGE_ME", "repo": "CHANGE_ME", "state": "all", "per_page": "100"}
    assert config["id_field"] == "id" and config["title_field"] == "title"
    assert config["content_fields"] == ["title", "body"]  # body_html / body_text are the same text again
    assert config["poll_timestamp_field"] == "updated_at"  # last update beats created_at and closed_at
    assert config["link_field"] == "html_url"  # the page, not the API's `url`
    assert {"state", "state_reason", "user.login", "labels[*].name"} <= set(config["metadata_fields"])
    assert not {"url", "node_id", "user.id", "comments_url"} & set(config["metadata_fields"])
    assert any("query_params.owner" in w for w in suggestion.warnings)
    text = suggestion.to_yaml()
    assert "# the 200 response declares a Link header" in text
    assert "per_page=100 (its description names a maximum of 100)" in text
    assert "'updated_at' (string, date-time) is a last-update time" in text
    loads(suggestion)


def test_github_get_one_issue_is_no_collection_though_it_holds_a_list_of_labels():
    spec = load_spec(str(DATA / "github-issues.yaml"))
    assert [e.label for e in list_collections(spec)] == ["issues/list-for-repo"]
    with pytest.raises(ConfigError, match="does not return a JSON array of objects"):
        choose(spec, operation="issues/get")
    with pytest.raises(ConfigError, match="no GET operation 'issues/nope'"):
        choose(spec, operation="issues/nope")


def test_stripe_customers_cursor_from_the_last_item_has_more_and_unix_time():
    suggestion = suggest("stripe-customers.json", "GetCustomers")
    config = suggestion.config
    assert config["url"] == "https://api.stripe.com/v1/customers"
    assert config["items_path"] == "$.data"
    assert config["auth_type"] == "basic"  # the first of the alternatives (basic, then bearer)
    assert config["credentials"] == {"username": "${STRIPE_USERNAME}", "password": "${STRIPE_PASSWORD}"}
    assert config["pagination_type"] == "cursor"
    assert config["pagination_config"] == {"cursor_param": "starting_after", "cursor_from": "last_item",
                                           "cursor_item_field": "id", "has_more_path": "$.has_more"}
    assert config["query_params"] == {"limit": "100"}  # "Limit can range between 1 and 100"
    assert config["poll_timestamp_field"] == "created"  # integer, format unix-time
    assert config["content_fields"] == ["name", "description"]
    assert "object" not in config["metadata_fields"]  # an enum of one value says nothing
    assert "tax_exempt" in config["metadata_fields"]
    loads(suggestion)


def test_swagger2_petstore_host_basepath_schemes_and_required_enum_parameter():
    spec = load_spec(str(DATA / "petstore-swagger2.json"))
    assert spec.is_swagger2
    assert [e.label for e in list_collections(spec)] == ["findPetsByStatus"]  # not the inventory map
    suggestion = infer_config(spec, choose(spec, path="/pet/findByStatus"))
    config = suggestion.config
    assert config["url"] == "https://petstore.swagger.io/v2/pet/findByStatus"  # https preferred
    assert config["query_params"] == {"status": "available"}  # required: its items' default
    assert any("available, pending, sold" in w for w in suggestion.warnings)
    assert config["auth_type"] == "bearer"  # OAuth2 implicit: a person signs in, the token is a bearer token
    assert "implicit" in suggestion.notes["auth_type"]
    assert config["id_field"] == "id" and config["title_field"] == "name"
    assert config["metadata_fields"][:1] == ["status"] and "tags[*].name" in config["metadata_fields"]
    assert config["pagination_type"] == "none"
    loads(suggestion)


def test_jira_envelope_with_values_and_next_page_uri():
    suggestion = suggest("jira-projects.yaml", "searchProjects")
    config = suggestion.config
    assert config["url"] == "https://your-domain.atlassian.net/rest/api/3/project/search"
    assert config["items_path"] == "$.values"
    assert config["auth_type"] == "basic"  # the operation's own requirement, basic listed first
    assert config["pagination_type"] == "next_url"
    assert config["pagination_config"] == {"next_url_path": "$.nextPage"}
    assert config["query_params"] == {"maxResults": "100"}  # "less than or equal to 100"
    assert config["id_field"] == "id" and config["title_field"] == "name"
    assert {"projectTypeKey", "projectCategory.name", "lead.displayName"} <= set(config["metadata_fields"])
    assert config["poll_timestamp_field"] == "insight.lastIssueUpdateTime"
    assert config["link_field"] == "self" and "API's own URL" in suggestion.notes["link_field"]
    loads(suggestion)


def test_zendesk_server_variables_path_parameter_example_and_allof_envelope():
    suggestion = suggest("zendesk-articles.yaml", "ListArticles")
    config = suggestion.config
    assert config["url"] == "https://example.zendesk.com/api/v2/help_center/{locale}/articles"
    assert any("subdomain=example" in w for w in suggestion.warnings)
    assert config["items_path"] == "$.articles"  # under allOf, beside the paging fields
    assert config["pagination_type"] == "next_url"
    assert config["pagination_config"] == {"next_url_path": "$.next_page"}
    assert config["query_params"] == {"locale": "en-us", "per_page": "100"}
    assert config["link_field"] == "html_url"
    assert config["content_fields"] == ["title", "body"]
    loads(suggestion)


def test_every_collection_of_every_shipped_description_gives_a_loadable_config():
    for path in sorted(DATA.glob("*.*")):
        if path.suffix not in (".yaml", ".json"):
            continue
        spec = load_spec(str(path))
        for endpoint in list_collections(spec):
            loads(infer_config(spec, endpoint, server="https://api.example.com"))


def test_server_flag_replaces_the_description_servers():
    suggestion = suggest("github-issues.yaml", "issues/list-for-repo", server="https://ghe.example.com/api/v3/")
    assert suggestion.config["url"] == "https://ghe.example.com/api/v3/repos/{owner}/{repo}/issues"
    assert "--server" in suggestion.notes["url"]
