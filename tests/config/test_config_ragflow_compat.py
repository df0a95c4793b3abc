"""RAGFlow's own config tests (PY-CFG-*, GO-1..GO-4), through restsync's API."""

from __future__ import annotations

import pytest

from restsync.config import PaginationConfig, SourceConfig
from restsync.errors import ConfigError

URL = "https://api.example.com/v1/items"


def build(**raw) -> SourceConfig:
    return SourceConfig.from_mapping({"url": URL, "content_fields": ["title"], **raw})


# -- A1: Python schema tests ------------------------------------------------------------------


def test_py_cfg_1_url_is_required():
    with pytest.raises(ConfigError) as caught:
        SourceConfig.from_mapping({"content_fields": ["title"]})
    assert caught.value.key == "url"
    assert "Invalid REST API config: url" in str(caught.value)


def test_py_cfg_1_blank_url_counts_as_missing():
    with pytest.raises(ConfigError) as caught:
        SourceConfig.from_mapping({"url": "  ", "content_fields": ["title"]})
    assert caught.value.key == "url"


def test_py_cfg_2_content_fields_required_only_when_checked():
    config = SourceConfig.from_mapping({"url": URL, "content_fields": []})
    assert config.content_fields == []
    with pytest.raises(ConfigError) as caught:
        config.check_required()
    assert caught.value.key == "content_fields"
    assert "At least one content field must be configured (content_fields)." in str(caught.value)


def test_py_cfg_2_a_content_template_satisfies_the_check():
    config = SourceConfig.from_mapping({"url": URL, "content_template": "Title: {title}"})
    config.check_required()  # does not raise
    assert config.content_template == "Title: {title}"


def test_py_cfg_3_minimal_config_round_trips_url_and_host():
    config = SourceConfig.from_mapping({"url": "https://api.example.com/v1/items", "content_fields": ["title"]})
    assert config.url == "https://api.example.com/v1/items"
    assert config.hostname == "api.example.com"
    assert config.content_fields == ["title"]


def test_py_cfg_3_hostname_comes_from_url_parsing_not_a_prefix():
    config = SourceConfig.from_mapping({"url": "https://api.example.com.attacker.tld/x", "content_fields": ["t"]})
    assert config.hostname == "api.example.com.attacker.tld"
    assert config.hostname != "api.example.com"
    userinfo = SourceConfig.from_mapping({"url": "https://api.example.com@evil.tld/x", "content_fields": ["t"]})
    assert userinfo.hostname == "evil.tld"


def test_py_cfg_4_auth_type_defaults_to_none():
    assert build().auth_type == "none"


def test_py_cfg_5_pagination_type_defaults_to_none():
    assert build().pagination_type == "none"


def test_py_cfg_6_headers_accept_key_value_text():
    assert build(headers="X-Custom=hello").headers == {"X-Custom": "hello"}


def test_py_cfg_7_content_fields_accept_a_comma_string():
    assert build(content_fields="title,content").content_fields == ["title", "content"]


# -- C: Go port tests -------------------------------------------------------------------------


def test_go_1_defaults():
    config = SourceConfig.from_mapping({"url": URL, "content_fields": "title, body"})
    assert config.method == "GET"
    assert config.batch_size == 2
    assert config.max_pages == 1000
    assert config.request_delay == 0.0  # deliberate difference: no pause unless configured
    assert config.content_fields == ["title", "body"]
    assert config.auth_type == "none"
    assert config.pagination_type == "none"
    # restsync's own defaults
    assert config.concurrency == 8
    assert config.timeout == 30
    assert config.poll_time_format == "iso"
    assert config.requests_per_second is None
    assert config.pagination == PaginationConfig()


@pytest.mark.parametrize("batch_size", [0, -1, "0", "-1", ""])
def test_go_2_non_positive_batch_size_becomes_the_default(batch_size):
    assert build(batch_size=batch_size).batch_size == 2


def test_go_2_positive_batch_size_is_kept():
    assert build(batch_size="10").batch_size == 10


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"method": "DELETE"}, "method", "Unsupported HTTP method 'DELETE'."),
        ({"method": "delete"}, "method", "Unsupported HTTP method 'DELETE'."),
        ({"auth_type": "jwt"}, "auth_type", "Unsupported auth_type 'jwt'."),
        ({"pagination_type": "bad"}, "pagination_type", "Unsupported pagination_type 'bad'."),
        ({"max_pages": 0}, "max_pages", "max_pages must be a positive integer"),
        ({"max_pages": -1}, "max_pages", "max_pages must be a positive integer"),
        ({"url": "ftp://files.example.com/x"}, "url", "Unsupported URL scheme 'ftp'"),
        ({"url": "file:///etc/passwd"}, "url", "Unsupported URL scheme 'file'"),
    ],
)
def test_go_3_validation_errors(raw, key, message):
    with pytest.raises(ConfigError) as caught:
        build(**raw)
    assert caught.value.key == key
    assert message in str(caught.value)


def test_go_3_missing_content_fields_is_the_required_check():
    with pytest.raises(ConfigError, match=r"At least one content field must be configured \(content_fields\)\."):
        SourceConfig.from_mapping({"url": URL}).check_required()


def test_go_4_mapping_values_are_stringified():
    config = build(headers={"X-Count": 3, "X-Flag": True, "X-Off": False, "X-Ratio": 0.5})
    assert config.headers == {"X-Count": "3", "X-Flag": "true", "X-Off": "false", "X-Ratio": "0.5"}
    assert build(query_params={"per_page": 100}).query_params == {"per_page": "100"}


def test_go_4_json_object_string_is_parsed():
    assert build(headers='{"Accept": "application/json", "X-N": 2}').headers == {
        "Accept": "application/json",
        "X-N": "2",
    }


def test_go_4_multiline_text_skips_comments_and_trims():
    text = "# a comment\na=1\n\n  b = x y  \n   # indented comment\nc=with=equals"
    assert build(query_params=text).query_params == {"a": "1", "b": "x y", "c": "with=equals"}
