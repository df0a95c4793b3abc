"""Acceptance-audit regressions: check/preview keep their full report on every error, hints say what
is really wrong, fetch refuses a reversed window and says when --since cannot filter anything."""

from __future__ import annotations

import json
import socket

import pytest

from restsync.cli.common import ALLOW_PRIVATE_HINT
from restsync.cli.main import main
from restsync.demo.server import load_articles
from restsync.http import ssrf
from servers.bearer_only import demo_config


pytestmark = pytest.mark.usefixtures("demo_env")  # tests/cli/conftest.py


@pytest.fixture
def unresolvable(monkeypatch):
    """Every host fails DNS, as `nope.invalid` does, without asking a real resolver."""
    def fail(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(ssrf, "default_resolver", fail)


def write_config(tmp_path, text: str):
    path = tmp_path / "source.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_check_on_a_host_that_does_not_resolve_still_prints_the_whole_report(tmp_path, capsys, unresolvable):
    config = write_config(tmp_path, "url: https://nope.invalid/items\ncontent_fields: [title]\nshiny_key: 1\n")
    assert main(["check", config]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "config        ok (1 warnings)" and "shiny_key" in lines[1]
    assert "request       GET https://nope.invalid/items -> no response" in lines
    assert "failed at     request" in lines and lines[-1] == "result        FAILED"
    assert any(line.startswith("problem: cannot resolve host 'nope.invalid'") for line in lines)
    assert err == ""

    assert main(["check", config, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["error_kind"] == "source" and report["failed_step"] == "request"
    assert any("shiny_key" in warning for warning in report["config_warnings"])
    assert "cannot resolve host" in report["problems"][0]


def test_preview_on_a_host_that_does_not_resolve_reports_instead_of_one_line(tmp_path, capsys, unresolvable):
    config = write_config(tmp_path, "url: https://nope.invalid/items\ncontent_fields: [title]\n")
    assert main(["preview", config, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == [] and report["failed_step"] == "request"


def test_a_refused_private_address_says_how_to_allow_it(tmp_path, capsys):
    config = str(demo_config(tmp_path))
    assert main(["check", config]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("config        ok")  # the config is fine; the address is refused
    assert "failed at     address" in lines and f"  hint: {ALLOW_PRIVATE_HINT}" in lines
    assert main(["fetch", config, "--quiet"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("restsync: config error:") and err[1] == f"  hint: {ALLOW_PRIVATE_HINT}"
    assert "--allow-private" in ALLOW_PRIVATE_HINT and "RESTSYNC_ALLOW_PRIVATE=1" in ALLOW_PRIVATE_HINT


def test_a_config_that_does_not_load_still_says_invalid(tmp_path, capsys):
    config = write_config(tmp_path, "url: https://api.example.com/x\npagination_type: sideways\n")
    assert main(["check", config, "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["failed_step"] == "config" and "pagination_type" in report["problems"][0]
    assert main(["check", config]) == 2
    assert capsys.readouterr().out.startswith("config        invalid")


def test_an_empty_items_list_is_named_not_blamed_on_items_path(tmp_path, capsys):
    # A filter that matches nothing: the demo API answers `{"articles": [], ...}`, the path is right.
    config = demo_config(tmp_path, query_params={"updated_since": "2099-01-01T00:00:00Z"})
    assert main(["check", str(config), "--allow-private"]) == 0
    out = capsys.readouterr().out
    assert "$.articles is empty on page 1" in out and "set items_path" not in out
    assert "result        ok" in out


def test_a_reversed_or_empty_window_is_a_usage_error(tmp_path, capsys):
    config = str(demo_config(tmp_path))
    assert main(["fetch", config, "--since", "2025-01-01", "--until", "2024-01-01", "--allow-private"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("restsync: config error: --until:") and "not later" in err[0]
    assert main(["fetch", config, "--since", "2025-01-01", "--until", "2025-01-01", "--allow-private"]) == 2
    assert main(["fetch", config, "--since", "2025-01-01", "--until", "2025-01-02", "--allow-private",
                 "--quiet"]) == 0


def test_since_without_a_timestamp_or_placeholder_warns_that_nothing_is_filtered(tmp_path, capsys):
    # The demo config asks the server through {poll_start}; without it and without a timestamp field
    # the window has nothing to act on, and every document comes back.
    config = demo_config(tmp_path, poll_timestamp_field=None, query_params={})
    assert main(["fetch", str(config), "--since", "2099-01-01", "--allow-private", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == len(load_articles())
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "cannot filter anything" in warnings[0]
    assert "poll_timestamp_field" in warnings[0] and "{poll_start}" in warnings[0]


def test_since_with_a_timestamp_field_filters_here_without_the_new_warning(tmp_path, capsys):
    config = demo_config(tmp_path, query_params={})
    assert main(["fetch", str(config), "--since", "2099-01-01", "--allow-private", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "cannot filter anything" not in err
