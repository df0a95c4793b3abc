"""SourceConfig beyond RAGFlow's tests: coercions, validation messages, unknown keys, secrets."""

from __future__ import annotations

import json

import pytest

from restsync.config import SourceConfig
from restsync.errors import ConfigError

URL = "https://api.example.com/v1/items"


def build(strict: bool = False, **raw) -> SourceConfig:
    return SourceConfig.from_mapping({"url": URL, "content_fields": ["title"], **raw}, strict=strict)


def error_for(**raw) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        build(**raw)
    return caught.value


# -- coercions --------------------------------------------------------------------------------


def test_numeric_strings_are_numbers_and_blank_means_default():
    config = build(max_pages="10", request_delay="0", timeout=" 5.5 ", concurrency="4", requests_per_second="2.5")
    assert (config.max_pages, config.request_delay, config.timeout) == (10, 0.0, 5.5)
    assert (config.concurrency, config.requests_per_second) == (4, 2.5)
    blank = build(max_pages="", request_delay="", timeout="", concurrency="", requests_per_second="", method="")
    assert (blank.max_pages, blank.request_delay, blank.timeout, blank.concurrency) == (1000, 0.0, 30.0, 8)
    assert blank.method == "GET"


def test_pagination_config_is_typed_and_accepts_text_forms():
    config = build(pagination_type="page", pagination_config="page_param=p\npage_size = 50\nstart_page=0")
    assert config.pagination.page_param == "p"
    assert config.pagination.page_size == 50
    assert config.pagination.start_page == 0
    assert config.pagination.cursor_param is None  # unset stays None for the paginator to default
    as_json = build(pagination_config=json.dumps({"limit": "25", "cursor_in": "BODY"}), method="post")
    assert (as_json.pagination.limit, as_json.pagination.cursor_in, as_json.method) == (25, "body", "POST")


def test_non_positive_page_size_is_unset_with_a_warning_like_ragflow():
    config = build(pagination_config={"page_size": 0, "limit": -5})
    assert config.pagination.page_size is None and config.pagination.limit is None
    assert any("pagination_config.page_size" in w for w in config.warnings)
    assert any("pagination_config.limit" in w for w in config.warnings)


def test_field_lists_trim_and_drop_empties():
    config = build(content_fields=" title , ,body,", metadata_fields=["author.name", " ", "tags[*].name"])
    assert config.content_fields == ["title", "body"]
    assert config.metadata_fields == ["author.name", "tags[*].name"]
    assert build(metadata_fields='["a", "b"]').metadata_fields == ["a", "b"]


def test_request_body_accepts_json_text_and_ragflow_fallback_location():
    assert build(method="POST", request_body='{"query": {"a": 1}}').request_body == {"query": {"a": 1}}
    fallback = build(method="POST", pagination_config={"request_body": {"filter": "x"}})
    assert fallback.request_body == {"filter": "x"}
    assert not any("request_body" in w and "unknown" in w for w in fallback.warnings)


def test_field_type_hints_accept_aliases():
    config = build(field_type_hints="count=int\nscore = float\nname=str\nupdated=datetime\nn=integer")
    assert config.field_type_hints == {
        "count": "number", "score": "number", "name": "string", "updated": "date", "n": "number",
    }  # fmt: skip


def test_field_default_values_keep_their_types():
    assert build(field_default_values={"missing": "fallback", "n": 0}).field_default_values == {
        "missing": "fallback",
        "n": 0,
    }


def test_postman_style_rows_become_a_mapping():
    rows = [{"key": "Accept", "value": "application/json"}, {"key": "X-N", "value": 1}]
    assert build(headers=rows).headers == {"Accept": "application/json", "X-N": "1"}


def test_malformed_key_value_line_is_reported_not_silently_dropped():
    config = build(headers="X-A=1\nnot a pair")
    assert config.headers == {"X-A": "1"}
    assert any("headers" in w and "not a pair" in w for w in config.warnings)


def test_poll_time_format_values():
    assert build(poll_time_format="EPOCH_MS").poll_time_format == "epoch_ms"
    assert build(poll_time_format="%Y-%m-%d").poll_time_format == "%Y-%m-%d"


# -- validation messages name the key ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key", "fragment"),
    [
        ({"pagination_config": {"page_size": "abc"}}, "pagination_config.page_size", "expected a positive integer, got 'abc'"),
        ({"pagination_config": {"page_size": True}}, "pagination_config.page_size", "expected a positive integer"),
        ({"pagination_config": {"start_page": -1}}, "pagination_config.start_page", "non-negative integer"),
        ({"pagination_config": {"cursor_in": "cookie"}}, "pagination_config.cursor_in", "query, body, header"),
        ({"pagination_config": {"cursor_from": "first_item"}}, "pagination_config.cursor_from", "response, last_item"),
        ({"pagination_config": {"page_in": "body"}}, "pagination_config.page_in", "needs method POST"),
        ({"pagination_config": "{not json"}, "pagination_config", "invalid JSON at line 1"),
        ({"concurrency": 0}, "concurrency", "must be a positive integer"),
        ({"timeout": 0}, "timeout", "must be a positive number"),
        ({"timeout": "nan"}, "timeout", "expected a positive number"),
        ({"requests_per_second": -1}, "requests_per_second", "must be a positive number"),
        ({"request_delay": -0.5}, "request_delay", "must be a non-negative number"),
        ({"max_pages": "ten"}, "max_pages", "expected a positive integer, got 'ten'"),
        ({"max_pages": 2.5}, "max_pages", "expected a positive integer"),
        ({"field_type_hints": {"x": "bool"}}, "field_type_hints.x", "string, number, date"),
        ({"poll_time_format": "rfc"}, "poll_time_format", "strftime pattern"),
        ({"auth_type": "oauth2_client_credentials"}, "auth_config.token_url", "token_url"),
        (
            {"auth_type": "oauth2_client_credentials", "auth_config": {"token_url": "ftp://x/token"}},
            "auth_config.token_url",
            "Unsupported URL scheme 'ftp'",
        ),
        ({"request_body": "[1, 2"}, "request_body", "invalid JSON"),
        ({"headers": 42}, "headers", "expected a mapping"),
        ({"content_fields": {"a": 1}}, "content_fields", "expected a list"),
        ({"url": "https:///no-host"}, "url", "hostname"),
        ({"url": "https://api.example.com:99999/x"}, "url", "invalid URL"),
        ({"detail_url": "gopher://api.example.com/items/{id}"}, "detail_url", "scheme"),
        ({"id_field": ["id"]}, "id_field", "expected a string"),
    ],
)
def test_bad_values_raise_config_error_naming_the_key(raw, key, fragment):
    error = error_for(**raw)
    assert error.key == key
    assert str(error).startswith(f"{key}: ")
    assert fragment in str(error)


def test_all_auth_and_pagination_types_are_accepted():
    for auth_type in ("none", "api_key_header", "api_key_query", "bearer", "basic"):
        assert build(auth_type=auth_type).auth_type == auth_type
    oauth = build(auth_type="oauth2_client_credentials", auth_config={"token_url": "https://auth.example.com/t"})
    assert oauth.auth_type == "oauth2_client_credentials"
    for pagination_type in ("none", "page", "offset", "cursor", "next_url", "link_header", "auto"):
        assert build(pagination_type=pagination_type.upper()).pagination_type == pagination_type


def test_a_non_mapping_config_is_a_config_error():
    with pytest.raises(ConfigError, match="must be a mapping"):
        SourceConfig.from_mapping(["url", URL])  # type: ignore[arg-type]


# -- unknown keys -----------------------------------------------------------------------------


def test_unknown_keys_warn_with_a_suggestion_and_still_load():
    config = build(
        pagination_confg={"page_size": 5},
        name="my source",  # RAGFlow UI keys ride along
        pagination_config={"page_sise": 5},
        auth_config={"header_nme": "X-Key"},
    )
    assert any("pagination_confg" in w and "did you mean 'pagination_config'" in w for w in config.warnings)
    assert any(w.startswith("name: unknown key") for w in config.warnings)
    assert any("pagination_config.page_sise" in w and "'page_size'" in w for w in config.warnings)
    assert any("auth_config.header_nme" in w and "'header_name'" in w for w in config.warnings)


def test_known_keys_produce_no_warnings():
    assert build(pagination_type="page", pagination_config={"page_param": "page"}).warnings == []


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"itemz_path": "$.x"}, "itemz_path"),
        ({"pagination_config": {"cursor_parm": "c"}}, "pagination_config.cursor_parm"),
        ({"auth_config": {"tokn_url": "https://a/t"}}, "auth_config.tokn_url"),
        ({"credentials": {"tokn": "x"}}, "credentials.tokn"),
    ],
)
def test_strict_makes_unknown_keys_errors(raw, key):
    with pytest.raises(ConfigError) as caught:
        build(strict=True, **raw)
    assert caught.value.key == key
    assert "unknown key" in str(caught.value)


# -- credentials and secrets ------------------------------------------------------------------


def test_credentials_merge_ragflow_auth_config_fallbacks():
    config = build(
        auth_type="api_key_header",
        auth_config={"header_name": "X-Key", "api_key_value": "from-ui", "token": "tok"},
        credentials={"username": "u"},
    )
    assert config.credentials == {"api_key": "from-ui", "token": "tok", "username": "u"}
    explicit = build(auth_config={"api_key": "cfg"}, credentials={"api_key": "cred", "password": ""})
    assert explicit.credentials == {"api_key": "cred", "password": ""}  # empty password kept (Stripe)


def test_secrets_never_appear_in_to_dict_or_repr():
    config = build(
        auth_type="bearer",
        auth_config={"token": "s3cret-token", "header_name": "X-Key"},
        credentials={"password": "s3cret-pass"},
        headers={"Authorization": "Bearer s3cret-header", "Accept": "application/json"},
        query_params={"api_key": "s3cret-query", "author": "5"},
    )
    for text in (json.dumps(config.to_dict()), repr(config), str(config)):
        assert "s3cret" not in text
    data = config.to_dict()
    assert "credentials" not in data
    assert data["auth_config"] == {"header_name": "X-Key"}
    assert data["headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert data["query_params"] == {"api_key": "***", "author": "5"}


def test_to_dict_is_normalised_and_loads_back_to_an_equal_config():
    config = build(
        method="post",
        content_fields="title, body",
        pagination_type="cursor",
        pagination_config={"cursor_param": "after", "page_size": "20", "cursor_in": "body"},
        request_body='{"q": "x"}',
        batch_size="0",
    )
    data = config.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["method"] == "POST" and data["batch_size"] == 2
    assert data["pagination_config"] == {"cursor_param": "after", "page_size": 20, "cursor_in": "body"}
    assert SourceConfig.from_mapping(data) == config


def test_config_is_frozen():
    config = build()
    with pytest.raises(AttributeError):
        config.url = "https://other.example.com"  # type: ignore[misc]


def test_request_body_with_get_warns():
    assert any(w.startswith("request_body:") for w in build(request_body={"a": 1}).warnings)


def test_a_header_that_http_cannot_carry_is_a_config_error_naming_it():
    with pytest.raises(ConfigError) as error:
        build(headers={"X-Name": "Zoë"})
    assert error.value.key == "headers.X-Name"
