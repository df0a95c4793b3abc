"""Responses that are JSON but hostile or odd: nested past what Python can walk, numbers too
long to read, keys repeated in one object. Each becomes a named outcome, never an internal error."""

from __future__ import annotations

import json

import pytest

from restsync.cli.main import main
from restsync.clock import FakeClock
from restsync.connector import RestApiConnector
from restsync.errors import InvalidResponseError
from restsync.http import HttpClient, RequestSpec
from servers import ScriptedServer
from servers.base import Reply


def deep_items(depth: int) -> bytes:
    return b'{"items": [{"id": 1, "title": "x", "extra": ' + b"[" * depth + b"]" * depth + b"}]}"


@pytest.mark.parametrize("depth", [3000, 100_000])
def test_a_response_nested_past_the_parser_is_named(serve, depth):
    server = serve(ScriptedServer(lambda request: Reply(body=deep_items(depth))))
    client = HttpClient(allow_private=True, clock=FakeClock())
    with pytest.raises(InvalidResponseError) as error:
        client.send(RequestSpec("GET", server.url("/items")))
    assert "nested too deeply" in str(error.value)
    assert f"GET {server.url('/items')}" in str(error.value)
    assert len(server.requests) == 1  # the same body again would not help


def test_fetch_of_a_deep_response_exits_1_with_one_line(serve, tmp_path, capsys):
    server = serve(ScriptedServer(lambda request: Reply(body=deep_items(5000))))
    config = tmp_path / "source.json"
    config.write_text(json.dumps({"url": server.url("/items"), "content_fields": ["title"]}))
    assert main(["fetch", str(config), "--out", str(tmp_path / "out.jsonl"), "--allow-private"]) == 1
    err = capsys.readouterr().err
    assert "nested too deeply" in err and "internal error" not in err


def test_a_number_too_long_to_read_is_named(serve):
    body = b'{"items": [{"id": ' + b"9" * 5000 + b', "title": "x"}]}'
    server = serve(ScriptedServer(lambda request: Reply(body=body)))
    with pytest.raises(InvalidResponseError, match="number too long"):
        HttpClient(allow_private=True, clock=FakeClock()).send(RequestSpec("GET", server.url("/items")))


DUPLICATED = b'{"items": [{"id": 1, "title": "first", "title": "second", "body": "b"}], "items_total": 1}'


def test_repeated_keys_are_found_on_the_first_page_only(serve):
    server = serve(ScriptedServer(lambda request: Reply(body=DUPLICATED)))
    client = HttpClient(allow_private=True, clock=FakeClock())
    first = client.send(RequestSpec("GET", server.url("/items")))
    assert first.data["items"][0]["title"] == "second"  # JSON's rule: the last one wins
    assert first.duplicate_keys == ("title",)
    assert client.send(RequestSpec("GET", server.url("/items"))).duplicate_keys == ()  # not re-parsed


def test_preview_and_check_say_when_keys_repeat(serve, tmp_path, capsys):
    server = serve(ScriptedServer(lambda request: Reply(body=DUPLICATED)))
    config = tmp_path / "source.json"
    config.write_text(json.dumps({"url": server.url("/items"), "id_field": "id", "content_fields": ["title"]}))
    for command in ("check", "preview"):
        assert main([command, str(config), "--allow-private", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        warnings = report.get("warnings") or report["check"]["warnings"]
        assert any("repeats keys within one JSON object ('title')" in w for w in warnings), report


def test_a_connector_probe_reports_nothing_for_clean_json(serve):
    server = serve(ScriptedServer(lambda request: {"items": [{"id": 1, "title": "t"}]}))
    connector = RestApiConnector({"url": server.url("/items"), "content_fields": ["title"]},
                                 allow_private=True, clock=FakeClock())
    assert connector.probe().response.duplicate_keys == ()


def test_a_content_field_of_lists_nested_past_the_recursion_limit_still_maps(serve, tmp_path):
    # Parses (the C parser goes deeper than a recursive Python walk could) and must map too.
    body = b'{"items": [{"id": 1, "title": ' + b"[" * 900 + b'"deep"' + b"]" * 900 + b"}]}"
    server = serve(ScriptedServer(lambda request: Reply(body=body)))
    config = tmp_path / "source.json"
    config.write_text(json.dumps({"url": server.url("/items"), "content_fields": ["title"]}))
    out = tmp_path / "out.jsonl"
    assert main(["fetch", str(config), "--out", str(out), "--allow-private"]) == 0
    assert json.loads(out.read_text())["content"] == "deep"
