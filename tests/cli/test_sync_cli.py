"""`restsync sync / search / status` end to end, including a sync killed with SIGKILL mid-walk.

The knowledge bases are created with the deterministic hashing embedder (stored in their
settings, so the CLI uses it too): these tests are about syncing, not embedding quality.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from restsync.cli.main import main
from restsync.kb import KnowledgeBase
from restsync.kb.settings import KBSettings
from servers.items_api import ItemsApi, source_config, stamp

SYNC_KEYS = {"status", "documents_new", "documents_updated", "documents_unchanged", "documents_deleted",
             "chunks_embedded", "watermark"}
HIT_KEYS = {"document_id", "title", "link", "metadata", "score", "text"}


def new_kb(path: Path) -> Path:
    KnowledgeBase.open(path, settings=KBSettings(embedder="hashing-64")).close()
    return path


def write_config(directory: Path, api: ItemsApi, name: str = "articles", **overrides) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(source_config(api.url, **overrides)), encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def api():
    with ItemsApi(count=9) as server:
        yield server


def test_sync_search_and_status_print_json(tmp_path, capsys, api):
    kb = new_kb(tmp_path / "kb")
    config = write_config(tmp_path, api, link_template="https://help.example.com/a/{id}")

    status, out, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--json", "--quiet")
    assert status == 0, err
    first = json.loads(out)
    assert SYNC_KEYS <= first.keys()
    assert (first["status"], first["mode"], first["source"]) == ("success", "full", "articles")
    assert first["documents_new"] == 9 and first["watermark"] == stamp(9)

    status, out, _ = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--json", "--quiet")
    second = json.loads(out)
    assert (status, second["mode"], second["chunks_embedded"], second["documents_new"]) == (0, "incremental", 0, 0)

    status, out, _ = run_cli(capsys, "search", "topic 4", "--kb", str(kb), "--filter", "author=Omar",
                             "-k", "3", "--json")
    hits = json.loads(out)
    assert status == 0 and hits
    assert all(HIT_KEYS <= hit.keys() for hit in hits)
    assert hits[0]["title"] == "Article 4" and hits[0]["link"] == "https://help.example.com/a/4"
    assert all(hit["metadata"]["author"] == "Omar" for hit in hits)

    status, out, _ = run_cli(capsys, "status", "--kb", str(kb), "--json")
    report = json.loads(out)
    [source] = report["sources"]
    assert (source["name"], source["documents"], source["watermark"]) == ("articles", 9, stamp(9))
    assert [run["mode"] for run in source["runs"]] == ["incremental", "full"]
    assert all(run["status"] == "success" for run in source["runs"])

    status, out, _ = run_cli(capsys, "status", "--kb", str(kb))
    assert status == 0 and "articles: 9 documents" in out


def test_source_flag_overrides_the_file_stem_and_sources_never_collide(tmp_path, capsys, api):
    kb = new_kb(tmp_path / "kb")
    config = write_config(tmp_path, api)
    for name in ("help", "archive"):
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--source", name,
                                 "--allow-private", "--quiet")
        assert status == 0, err
    status, out, _ = run_cli(capsys, "status", "--kb", str(kb), "--json")
    counts = {source["name"]: source["documents"] for source in json.loads(out)["sources"]}
    assert counts == {"help": 9, "archive": 9}
    assert json.loads(out)["documents"] == 18
    status, out, _ = run_cli(capsys, "search", "topic 4", "--kb", str(kb), "-k", "2", "--json")
    hits = json.loads(out)
    assert {hit["source"] for hit in hits} == {"help", "archive"}
    assert len({hit["chunk_id"] for hit in hits}) == 2


def test_truncated_sync_exits_3_and_failed_sync_exits_1(tmp_path, capsys, api):
    kb = new_kb(tmp_path / "kb")
    config = write_config(tmp_path, api, max_pages=1)
    status, out, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--json", "--quiet")
    assert status == 3 and json.loads(out)["status"] == "truncated"
    assert "TRUNCATED" in err

    config = write_config(tmp_path, api, name="broken")
    api.fail_pages, api.fail_status = {1}, 400  # not retried: no backoff sleeps in this test
    os.environ["RESTSYNC_ALLOW_PRIVATE"] = "1"
    try:
        status, out, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--json", "--quiet")
    finally:
        del os.environ["RESTSYNC_ALLOW_PRIVATE"]
    assert status == 1
    assert json.loads(out)["status"] == "failed"
    assert "400" in err and "Traceback" not in err


def test_private_address_is_refused_without_the_flag(tmp_path, capsys, api):
    kb = new_kb(tmp_path / "kb")
    status, _, err = run_cli(capsys, "sync", str(write_config(tmp_path, api)), "--kb", str(kb), "--quiet")
    assert status == 2 and "allow" in err.lower()


def test_sync_killed_mid_walk_resumes_to_the_same_result(tmp_path, capsys, api):
    clean_kb, killed_kb = new_kb(tmp_path / "clean"), new_kb(tmp_path / "killed")
    config = write_config(tmp_path, api, per_page=2)
    status, out, err = run_cli(capsys, "sync", str(config), "--kb", str(clean_kb), "--allow-private", "--json", "--quiet")
    assert status == 0, err
    clean = json.loads(out)

    api.stall_from_page = 3  # pages 1 and 2 are served, then the API hangs until the sync is killed
    process = subprocess.Popen(
        [sys.executable, "-m", "restsync.cli.main", "sync", str(config), "--kb", str(killed_kb),
         "--allow-private", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        assert api.stalled.wait(20), "the sync never reached page 3"
        # The sync pipeline stores pages 1 and 2 while page 3 is in flight: kill it once one is stored.
        assert _checkpoint_stored(killed_kb), "no page was stored before the stall"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    api.stall_from_page = None
    api.release.set()

    base = KnowledgeBase.open(killed_kb)
    try:
        assert base.get_state("articles", "checkpoint") is not None
        assert 0 < base.count_documents("articles") < 9
        assert base.get_state("articles", "watermark") is None
    finally:
        base.close()

    api.requests.clear()
    status, out, err = run_cli(capsys, "sync", str(config), "--kb", str(killed_kb), "--allow-private", "--json", "--quiet")
    assert status == 0, err
    resumed = json.loads(out)
    assert resumed["resumed"] and resumed["status"] == "success"
    assert 1 not in [int(r.get("page", "1")) for r in api.requests]
    assert resumed["watermark"] == clean["watermark"]

    for query in ("topic 2", "topic 5", "topic 9"):
        got = [run_cli(capsys, "search", query, "--kb", str(kb), "-k", "3", "--json")[1] for kb in (killed_kb, clean_kb)]
        killed_hits, clean_hits = (json.loads(text) for text in got)
        assert [(h["title"], h["text"], h["metadata"]) for h in killed_hits] == \
               [(h["title"], h["text"], h["metadata"]) for h in clean_hits]
    status, out, _ = run_cli(capsys, "status", "--kb", str(killed_kb), "--json")
    [source] = json.loads(out)["sources"]
    assert source["documents"] == 9 and not source["resumable"]


def test_reading_commands_refuse_a_missing_knowledge_base(tmp_path, capsys):
    for argv in (["status", "--kb", str(tmp_path / "nowhere")],
                 ["search", "anything", "--kb", str(tmp_path / "nowhere")]):
        status, _, err = run_cli(capsys, *argv)
        assert status == 2 and "no knowledge base" in err
    assert not (tmp_path / "nowhere").exists()


def test_sync_flags_set_the_knowledge_base_settings(tmp_path, capsys, api):
    kb = new_kb(tmp_path / "kb")
    config = write_config(tmp_path, api)
    status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet",
                             "--chunk-tokens", "40", "--chunk-overlap", "5")
    assert status == 0, err
    reopened = KnowledgeBase.open(kb)
    assert (reopened.settings.chunk_tokens, reopened.settings.chunk_overlap) == (40, 5)
    assert reopened.settings.embedder == "hashing-64"  # kept: only what was given changes
    reopened.close()
    status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet",
                             "--embedder", "all-MiniLM-L6-v2")
    assert status == 2 and "embedder" in err  # vectors exist: changing the model is refused, not mixed


def test_search_warns_about_a_filter_key_no_source_configures(tmp_path, capsys, api):
    kb = new_kb(tmp_path / "kb")
    config = write_config(tmp_path, api)
    assert run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")[0] == 0
    configured = yaml.safe_load(config.read_text())["metadata_fields"][0]
    status, _, err = run_cli(capsys, "search", "item", "--kb", str(kb), "--filter", "no_such_field=1")
    assert status == 0 and "no_such_field" in err and "metadata_fields" in err
    status, _, err = run_cli(capsys, "search", "item", "--kb", str(kb), "--filter", f"{configured}=x")
    assert "warning" not in err


def test_a_kb_path_below_a_file_is_a_usage_error(tmp_path, capsys, api):
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory")
    status, _, err = run_cli(capsys, "sync", str(write_config(tmp_path, api)), "--kb", str(blocker / "kb"),
                             "--allow-private", "--quiet")
    assert status == 2 and "--kb" in err


def _checkpoint_stored(kb_path, limit_s: float = 20.0) -> bool:
    """Polled (the syncing process gives no signal): whether a checkpoint is stored within limit_s."""
    import threading
    import time

    deadline = time.monotonic() + limit_s
    pause = threading.Event()
    while time.monotonic() < deadline:
        if Path(kb_path, "kb.sqlite").exists():
            base = KnowledgeBase.open(kb_path, read_only=True)
            try:
                if base.get_state("articles", "checkpoint") is not None:
                    return True
            finally:
                base.close()
        pause.wait(0.02)
    return False
