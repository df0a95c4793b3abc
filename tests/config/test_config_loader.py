"""load_config: YAML and JSON files, `${ENV}` substitution, file and syntax errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restsync.config import SourceConfig, load_config
from restsync.errors import ConfigError

GITHUB_YAML = """\
# GitHub issues, Link-header pagination
url: https://api.github.com/repos/octo/hello/issues
query_params:
  state: all
  since: "{poll_start}"
auth_type: bearer
credentials:
  token: ${GITHUB_TOKEN}
headers: |
  Accept=application/vnd.github+json
  X-GitHub-Api-Version=2022-11-28
id_field: id
content_fields: title, body
metadata_fields: [user.login, "labels[*].name"]
pagination_type: link_header
pagination_config:
  page_size_param: per_page
  page_size: 100
poll_timestamp_field: updated_at
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_file_with_env_secret(tmp_path):
    path = write(tmp_path, "github.yaml", GITHUB_YAML)
    config = load_config(path, env={"GITHUB_TOKEN": "ghp_abc"})
    assert isinstance(config, SourceConfig)
    assert config.credentials == {"token": "ghp_abc"}
    assert config.headers == {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    assert config.content_fields == ["title", "body"]
    assert config.pagination_type == "link_header"
    assert config.pagination.page_size == 100
    assert config.query_params["since"] == "{poll_start}"
    assert config.warnings == []
    assert "ghp_abc" not in repr(config)


def test_str_path_and_yml_suffix(tmp_path):
    path = write(tmp_path, "source.yml", "url: https://api.example.com/x\ncontent_fields: [a]\n")
    assert load_config(str(path), env={}).url == "https://api.example.com/x"


def test_json_file(tmp_path):
    raw = {"url": "https://api.example.com/x", "content_fields": "a,b", "max_pages": "5"}
    config = load_config(write(tmp_path, "source.json", json.dumps(raw)), env={})
    assert (config.content_fields, config.max_pages) == (["a", "b"], 5)


def test_mapping_source_gets_env_substitution_too():
    raw = {"url": "${BASE}/items", "content_fields": ["a"], "auth_config": {"token": "${TOKEN}"}}
    config = load_config(raw, env={"BASE": "https://api.example.com", "TOKEN": "t0k"})
    assert config.url == "https://api.example.com/items"
    assert config.credentials["token"] == "t0k"
    assert raw["url"] == "${BASE}/items"  # the caller's mapping is not modified


def test_default_env_is_os_environ(monkeypatch):
    monkeypatch.setenv("RESTSYNC_TEST_HOST", "api.example.org")
    config = load_config({"url": "https://${RESTSYNC_TEST_HOST}/x", "content_fields": ["a"]})
    assert config.hostname == "api.example.org"


def test_missing_env_variable_names_the_key_path_and_variable(tmp_path):
    path = write(tmp_path, "github.yaml", GITHUB_YAML)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert caught.value.key == "credentials.token"
    assert "GITHUB_TOKEN" in str(caught.value)


def test_missing_env_inside_a_list_names_the_index():
    with pytest.raises(ConfigError) as caught:
        load_config({"url": "https://a.example.com", "content_fields": ["a", "${NOPE}"]}, env={})
    assert caught.value.key == "content_fields[1]"


def test_escaped_dollar_stays_literal():
    raw = {"url": "https://a.example.com", "content_fields": ["a"], "content_template": "Cost: $${PRICE} ${X}"}
    assert load_config(raw, env={"X": "y"}).content_template == "Cost: ${PRICE} y"


def test_substituted_values_are_remembered_as_secrets():
    raw = {"url": "https://a.example.com", "content_fields": ["a"], "content_template": "$${PRICE} ${X}",
           "query_params": {"since": "${SINCE}", "again": "${X}"}}
    config = load_config(raw, env={"X": "sub-value", "SINCE": "2024-01-01", "PRICE": "unused"})
    assert config.env_values == ("sub-value", "2024-01-01")  # in order, once each; escapes are not values
    assert config.secret_values()[:2] == ["sub-value", "2024-01-01"]


def test_non_string_values_and_placeholders_without_dollar_untouched():
    raw = {"url": "https://a.example.com/{tenant}", "content_fields": ["a"], "max_pages": 3}
    config = load_config(raw, env={})
    assert (config.url, config.max_pages) == ("https://a.example.com/{tenant}", 3)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "url: https://a.example.com\ncontent_fields: [a, b\nmethod: GET\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert "bad.yaml:" in message and "invalid YAML" in message
    line = int(message.split("bad.yaml:")[1].split(":")[0])
    assert line in (2, 3)


def test_json_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.json", '{\n  "url": "https://a.example.com",\n  "content_fields": [a]\n}')
    with pytest.raises(ConfigError, match=r"bad\.json:3:\d+: invalid JSON"):
        load_config(path, env={})


def test_duplicate_yaml_keys_are_an_error_not_a_silent_overwrite(tmp_path):
    path = write(tmp_path, "dup.yaml", "url: https://a.example.com\ncontent_fields: [a]\nurl: https://b.example.com\n")
    with pytest.raises(ConfigError, match=r"dup\.yaml:3:\d+: .*duplicate key 'url'"):
        load_config(path, env={})


def test_yaml_dates_stay_text(tmp_path):
    path = write(tmp_path, "d.yaml", "url: https://a.example.com\ncontent_fields: [a]\nquery_params:\n  since: 2024-01-02\n")
    assert load_config(path, env={}).query_params == {"since": "2024-01-02"}


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("missing.yaml", None, "not found"),
        ("empty.yaml", "  \n", "empty"),
        ("list.yaml", "- url: x\n", "must be a mapping"),
        ("source.toml", "url = 'x'", "unsupported config file type"),
    ],
)
def test_file_problems_are_config_errors(tmp_path, name, text, fragment):
    path = tmp_path / name if text is None else write(tmp_path, name, text)
    with pytest.raises(ConfigError, match=fragment):
        load_config(path, env={})


def test_strict_flows_through_load_config():
    raw = {"url": "https://a.example.com", "content_fields": ["a"], "itemspath": "$.x"}
    assert any("did you mean 'items_path'" in w for w in load_config(raw, env={}).warnings)
    with pytest.raises(ConfigError) as caught:
        load_config(raw, env={}, strict=True)
    assert caught.value.key == "itemspath"
