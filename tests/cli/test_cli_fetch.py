"""`restsync fetch`: JSON lines, the window, exit statuses 0/1/3 with their stderr summaries, and one
real subprocess run of the installed `restsync` script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from restsync.cli.main import main
from restsync.demo.server import load_articles
from servers.bearer_only import BearerOnlyServer, demo_config


pytestmark = pytest.mark.usefixtures("demo_env")  # tests/cli/conftest.py


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_fetch_writes_every_document_as_json_lines(tmp_path, capsys):
    out = tmp_path / "docs.jsonl"
    assert main(["fetch", str(demo_config(tmp_path)), "--out", str(out), "--allow-private"]) == 0
    docs = read_jsonl(out)
    assert len(docs) == len(load_articles()) == len({d["id"] for d in docs})
    assert set(docs[0]) == {"id", "semantic_identifier", "content", "metadata", "doc_updated_at", "link", "source"}
    assert [d["semantic_identifier"] for d in docs] == [a["title"] for a in load_articles()]
    assert not (tmp_path / "docs.jsonl.part").exists()
    err = capsys.readouterr().err
    pages = -(-len(load_articles()) // 25)
    assert f"fetch: {pages} pages, {len(docs)} documents" in err  # final progress line (stderr is no tty)
    assert f"restsync: complete: {len(docs)} documents from {pages} pages to {out}" in err
    # ids are stable across runs
    again = tmp_path / "again.jsonl"
    assert main(["fetch", str(demo_config(tmp_path)), "-o", str(again), "--allow-private", "--quiet"]) == 0
    assert [d["id"] for d in read_jsonl(again)] == [d["id"] for d in docs]


def test_since_asks_the_server_for_changes_only(tmp_path, capsys):
    since = sorted(a["updated_at"] for a in load_articles())[100]
    expected = [a["title"] for a in load_articles() if a["updated_at"] >= since]
    assert main(["fetch", str(demo_config(tmp_path)), "--since", since, "--allow-private", "--quiet"]) == 0
    out, err = capsys.readouterr()
    titles = [json.loads(line)["semantic_identifier"] for line in out.splitlines()]
    assert titles == expected
    assert err.strip().splitlines() == [f"restsync: complete: {len(expected)} documents from 2 pages"]


def test_max_pages_is_a_truncated_run_with_exit_3(tmp_path, capsys):
    out = tmp_path / "docs.jsonl"
    assert main(["fetch", str(demo_config(tmp_path, max_pages=2)), "-o", str(out), "--allow-private"]) == 3
    assert len(read_jsonl(out)) == 50  # what was fetched is kept
    err = capsys.readouterr().err
    assert "TRUNCATED: 50 documents from 2 pages" in err and "max_pages" in err


def test_a_failing_source_exits_1_with_one_line_and_keeps_the_old_file(tmp_path, capsys):
    out = tmp_path / "docs.jsonl"
    out.write_text("previous good run\n")
    with BearerOnlyServer() as api:
        config = tmp_path / "notes.yaml"
        config.write_text(f"url: {api.url('/notes')}\nauth_type: bearer\ncredentials: {{token: wrong}}\ncontent_fields: text\n")
        assert main(["fetch", str(config), "-o", str(out), "--allow-private", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "wrong" not in err
    assert any(line.startswith("restsync: source error:") and "GET" in line for line in err.splitlines())
    assert out.read_text() == "previous good run\n"


def test_installed_script_runs_as_a_real_process(tmp_path, demo_url):
    script = Path(sys.executable).with_name("restsync")
    if not script.exists():
        pytest.skip("the restsync console script is not installed in this environment")
    out = tmp_path / "docs.jsonl"
    env = {**os.environ, "RESTSYNC_DEMO_URL": demo_url, "RESTSYNC_ALLOW_PRIVATE": "1"}
    done = subprocess.run([str(script), "fetch", str(demo_config(tmp_path, max_pages=1)), "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "TRUNCATED" in done.stderr and len(read_jsonl(out)) == 25
    bad = subprocess.run([str(script), "check", str(tmp_path / "nope.yaml"), "--json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and json.loads(bad.stdout)["error_kind"] == "config"


def test_progress_redraws_in_place_on_a_terminal_and_writes_one_line_otherwise():
    import io

    from restsync.clock import FakeClock
    from restsync.cli.progress import Progress

    clock, tty = FakeClock(), io.StringIO()
    progress = Progress(tty, clock=clock, interactive=True)
    progress.update(pages=1, documents=10)
    progress.update(pages=2, documents=20)  # same instant: throttled, not drawn
    clock.advance(2.0)
    progress.update(pages=3, documents=30)
    progress.finish()
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().endswith("\n")
    assert "3 pages, 30 documents, 15 docs/s, 2.0s" in tty.getvalue()
    plain = io.StringIO()
    quiet = Progress(plain, clock=clock, interactive=False)
    quiet.update(pages=5, documents=50)
    assert plain.getvalue() == ""
    quiet.finish()
    assert plain.getvalue().count("\n") == 1 and "\r" not in plain.getvalue()
