"""Hostile or broken configs end in a ConfigError naming the problem (CLI exit 2), quickly and
in little memory: alias bombs, deep nesting, overflowing numbers, odd URLs, broken headers."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import pytest

from restsync.cli.main import main
from restsync.config import load_config
from restsync.connector import RestApiConnector
from restsync.errors import ConfigError

BASE = "url: https://api.example.com/items\ncontent_fields: [title]\n"


def billion_laughs(under: str) -> str:
    lines = [f'{under}:', '  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"  a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str, name: str = "source.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


@pytest.mark.parametrize("under", ["field_default_values", "x_ui_state"])  # a known key, an unknown key
def test_a_billion_laughs_config_is_refused_before_it_expands(tmp_path, under):
    path = write(tmp_path, BASE + billion_laughs(under))
    assert path.stat().st_size < 1200
    before = peak_rss_mb()
    with pytest.raises(ConfigError, match=r"YAML aliases expand to more than 100,000 values"):
        load_config(path)
    assert peak_rss_mb() - before < 50


def test_the_cli_exits_2_on_an_alias_bomb(tmp_path, capsys):
    path = write(tmp_path, BASE + billion_laughs("x_ui_state"))
    assert main(["check", str(path)]) == 2
    assert "YAML aliases expand" in capsys.readouterr().out


def test_a_few_aliases_still_work(tmp_path):
    text = BASE + "headers: &h {X-Team: docs}\nquery_params: *h\n"
    assert load_config(write(tmp_path, text)).query_params == {"X-Team": "docs"}


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="refers to a value that contains it"):
        load_config(write(tmp_path, BASE + "x_loop: &l [1, *l]\n"))


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [100, 5000])
def test_a_deep_request_body_is_refused_naming_the_key(tmp_path, depth):
    body = nested(depth)
    sys_limit = sys.getrecursionlimit()
    with pytest.raises(ConfigError) as error:
        load_config({"url": "https://api.example.com/items", "method": "POST", "request_body": body})
    assert error.value.key == "request_body" and "nested deeper than 64 levels" in str(error.value)
    text = json.dumps(body) if depth < sys_limit - 100 else '{"a": ' * depth + "1" + "}" * depth
    with pytest.raises(ConfigError) as error:  # the same body as a JSON string (RAGFlow's UI form)
        load_config({"url": "https://api.example.com/items", "method": "POST", "request_body": text})
    assert error.value.key == "request_body" and "nested deeper than 64 levels" in str(error.value)


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_a_deeply_nested_config_file_is_refused(tmp_path, suffix):
    deep = "[" * 3000 + "]" * 3000
    text = (BASE + f"x_deep: {deep}\n") if suffix == "yaml" else (
        '{"url": "https://api.example.com/items", "x_deep": ' + deep + "}")
    with pytest.raises(ConfigError, match="nested deeper than 64 levels"):
        load_config(write(tmp_path, text, f"source.{suffix}"))


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("timeout", 1e30, "timeout must be at most 3600"),
        ("request_delay", 1e30, "request_delay must be at most 3600"),
        ("requests_per_second", 1e-30, "must be at least 0.001"),
        ("max_pages", 10**5000, "too large"),
        ("concurrency", 1e300, "too large"),
        ("timeout", 10**400, "too large"),
        ("max_response_mb", 0, "must be a positive number"),
    ],
    ids=["timeout", "request_delay", "requests_per_second", "5000-digits", "float-int", "big-int", "zero-mb"],
)
def test_overflowing_numbers_are_named(key, value, fragment):
    with pytest.raises(ConfigError) as error:
        load_config({"url": "https://api.example.com/items", key: value})
    assert error.value.key == key
    assert fragment in str(error.value)
    assert len(str(error.value)) < 200


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_a_5000_digit_number_in_a_file_is_a_config_error(tmp_path, suffix):
    digits = "9" * 5000
    text = BASE + f"max_pages: {digits}\n" if suffix == "yaml" else (
        '{"url": "https://api.example.com/items", "max_pages": ' + digits + "}")
    with pytest.raises(ConfigError, match="4300 digits"):
        load_config(write(tmp_path, text, f"source.{suffix}"))


@pytest.mark.parametrize(
    "url",
    ["http://0177.0.0.1/items", "http://\u2460\u2461\u2466.0.0.1/items", "http://api.example.com/it\x00ems",
     "http://api example.com/items"],
    ids=["octal", "circled-digits", "nul", "space-in-host"],
)
def test_odd_urls_are_config_errors_in_the_library_constructor(url):
    with pytest.raises(ConfigError) as error:
        RestApiConnector({"url": url, "content_fields": ["title"]})
    assert error.value.key == "url"


def test_urls_that_work_keep_working():
    for url in ("https://{tenant}.example.com/v1/{kind}?q={poll_start}", "http://b\u00fccher.example/items",
                "http://[2001:db8::1]:8080/items", "https://api.example.com/a b"):
        assert load_config({"url": url}).url == url


@pytest.mark.parametrize(
    ("headers", "key", "fragment"),
    [
        ({"X-Team": "docs\r\nX-Injected: 1"}, "headers.X-Team", "line breaks"),
        ({"X-Team": "docs\n"}, "headers.X-Team", "line breaks"),
        ({"X Team": "docs"}, "headers.X Team", "not a valid HTTP header name"),
        ({"X-Team:": "docs"}, "headers.X-Team:", "not a valid HTTP header name"),
        ({"${TEAM_HEADER}": "docs"}, "headers.${TEAM_HEADER}", "values only"),
    ],
)
def test_broken_headers_are_named_at_load_time(headers, key, fragment):
    with pytest.raises(ConfigError) as error:
        load_config({"url": "https://api.example.com/items", "headers": headers})
    assert error.value.key == key
    assert fragment in str(error.value)


def test_a_header_value_from_the_environment_is_checked_too():
    with pytest.raises(ConfigError) as error:
        load_config({"url": "https://api.example.com/items", "headers": {"X-Team": "${TEAM}"}},
                    env={"TEAM": "docs\r\nX-Injected: 1"})
    assert error.value.key == "headers.X-Team"
    assert "docs" not in str(error.value)  # the value may be a secret: never echoed


def test_the_cli_exits_2_at_once_for_a_header_with_a_line_break(tmp_path, capsys):
    path = write(tmp_path, BASE + 'headers:\n  X-Team: "docs\\r\\nX-Injected: 1"\n')
    assert main(["check", str(path), "--allow-private"]) == 2
    assert "problem: headers.X-Team: a header value cannot hold line breaks" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("auth", "key"),
    [
        ({"auth_type": "api_key_header", "auth_config": {"header_name": "X Api Key"},
          "credentials": {"api_key": "k-1234"}}, "auth_config.header_name"),
        ({"auth_type": "bearer", "credentials": {"token": "tok-1234\r\nX-Injected: 1"}}, "credentials.token"),
        ({"auth_type": "api_key_header", "auth_config": {"header_name": "X-Key"},
          "credentials": {"api_key": "k-1234\n"}}, "credentials.api_key"),
    ],
)
def test_header_auth_mistakes_are_named_at_load_time(auth, key):
    with pytest.raises(ConfigError) as error:
        load_config({"url": "https://api.example.com/items", **auth})
    assert error.value.key == key
    assert "1234" not in str(error.value)


def test_a_bad_credential_passed_later_fails_at_once_without_showing_it(serve, clock):
    from servers import ScriptedServer

    server = serve(ScriptedServer(lambda request: {"items": [{"id": 1, "title": "t"}]}))
    connector = RestApiConnector({"url": server.url("/items"), "content_fields": ["title"], "auth_type": "bearer"},
                                 credentials={"token": "tok-1234\r\nX-Injected: 1"}, allow_private=True, clock=clock)
    with pytest.raises(ConfigError) as error:
        connector.probe()
    assert "header name or value is malformed" in str(error.value)
    assert "tok-1234" not in str(error.value)
    assert server.requests == [] and clock.sleeps == []  # nothing sent, nothing retried
