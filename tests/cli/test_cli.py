"""`restsync check / preview / suggest` and usage errors, run in-process through main()."""

from __future__ import annotations

import json

import pytest
import yaml

from restsync.cli.main import main
from servers.bearer_only import TOKEN, BearerOnlyServer, demo_config


pytestmark = pytest.mark.usefixtures("demo_env")  # tests/cli/conftest.py


def test_check_reports_items_pagination_and_field_presence(tmp_path, capsys):
    assert main(["check", str(demo_config(tmp_path)), "--allow-private"]) == 0
    out = capsys.readouterr().out
    assert "HTTP 200" in out and "items         25 on page 1 at $.articles" in out
    assert "pagination    page, more pages" in out
    assert "author.name   25/25  ok" in out and "result        ok" in out


def test_check_json_is_machine_readable(tmp_path, capsys):
    config = demo_config(tmp_path, metadata_fields=["category", "no_such_field"], shiny_new_key=1)
    assert main(["check", str(config), "--json", "--allow-private"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["items_found"] == 25 and report["has_next"] is True
    fields = {f["path"]: f["present"] for f in report["fields"]}
    assert fields["category"] == 25 and fields["no_such_field"] == 0
    assert any("shiny_new_key" in w for w in report["config_warnings"])


def test_strict_turns_unknown_keys_into_exit_2(tmp_path, capsys):
    config = demo_config(tmp_path, shiny_new_key=1)
    assert main(["check", str(config), "--strict", "--allow-private"]) == 2
    assert "shiny_new_key" in capsys.readouterr().out


def test_loopback_is_refused_unless_allowed(tmp_path, capsys, monkeypatch):
    config = str(demo_config(tmp_path))
    assert main(["check", config]) == 2
    out = capsys.readouterr().out
    assert "problem:" in out and "Traceback" not in out
    monkeypatch.setenv("RESTSYNC_ALLOW_PRIVATE", "1")
    assert main(["check", config]) == 0


def test_zero_items_fail_with_an_items_path_hint(tmp_path, capsys):
    assert main(["check", str(demo_config(tmp_path, items_path="$.results")), "--allow-private"]) == 1
    out = capsys.readouterr().out
    assert "page 1 has no items" in out and "$.articles" in out and "result        FAILED" in out


def test_preview_shows_n_documents_as_ingested(tmp_path, capsys):
    assert main(["preview", str(demo_config(tmp_path)), "-n", "2", "--json", "--allow-private"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["documents"]) == 2
    first = report["documents"][0]
    assert first["source"] == "rest_api" and first["link"].startswith("http://127.0.0.1")
    assert "<p>" not in first["content"] and first["metadata"]["author.name"]
    assert main(["preview", str(demo_config(tmp_path, id_field=None)), "-n", "1", "--allow-private"]) == 0
    text = capsys.readouterr().out
    assert text.count("--- document") == 1 and "warning: no id_field" in text


def test_credentials_file_is_merged_and_bad_tokens_fail_with_exit_1(tmp_path, capsys):
    with BearerOnlyServer() as api:
        config = tmp_path / "notes.json"
        config.write_text(json.dumps({"url": api.url("/notes"), "auth_type": "bearer", "content_fields": "text"}))
        secrets = tmp_path / "secrets.yaml"
        secrets.write_text(f"token: {TOKEN}\n")
        assert main(["check", str(config), "--credentials", str(secrets), "--allow-private"]) == 0
        assert "bearer: accepted" in capsys.readouterr().out
        secrets.write_text("token: wrong\n")
        assert main(["check", str(config), "--credentials", str(secrets), "--allow-private"]) == 1
        out = capsys.readouterr().out
        assert "rejected" in out and "wrong" not in out
        assert main(["check", str(config), "--allow-private"]) == 2  # no token at all: a config problem
        assert "token" in capsys.readouterr().out


def test_usage_and_config_errors_exit_2_in_one_line(tmp_path, capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("url: [unclosed\n")
    assert main(["check", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "bad.yaml" in out
    assert main(["fetch", str(demo_config(tmp_path)), "--since", "last week", "--allow-private"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "restsync: config error: --since: 'last week' is not an ISO 8601 date or date-time"]


def test_suggest_writes_a_commented_config_without_the_secret(tmp_path, capsys, demo_url):
    out = tmp_path / "suggested.yaml"
    argv = ["suggest", f"{demo_url}/api/articles", "-H", f"Authorization: Bearer {TOKEN}",
            "-H", "Accept: application/json", "-o", str(out), "--allow-private"]
    assert main(argv) == 0
    text = out.read_text()
    assert TOKEN not in text and "# " in text
    config = yaml.safe_load(text)
    assert config["auth_type"] == "bearer" and config["items_path"] == "$.articles"
    assert config["headers"] == {"Accept": "application/json"}
    assert "restsync check" in capsys.readouterr().err
    assert main(["suggest", f"{demo_url}/api/articles", "-H", "no colon here", "--allow-private"]) == 2
    assert main(["suggest", f"{demo_url}/api/articles", "-d", "{not json", "--allow-private"]) == 2
