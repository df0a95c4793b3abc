"""A knowledge base on a read-only directory (a read-only mount, a shared snapshot) can be
searched and shown; sync says the directory is read-only instead of failing obscurely.

The directory is made unwritable with `chmod` or, as root (whom file modes do not stop), with the
immutable attribute (`chattr +i`), which refuses new files in it to everyone, as a read-only
mount does. Where neither works the tests are skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from restsync.cli.main import main
from restsync.errors import ReadOnlyKnowledgeBaseError
from restsync.kb import KBSettings, KnowledgeBase
from servers.items_api import ItemsApi, source_config


@contextmanager
def read_only_directory(path: Path) -> Iterator[None]:
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if made.returncode != 0:
            pytest.skip("running as root without chattr +i: cannot make a directory read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)
    assert os.access(path, os.W_OK)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def synced(tmp_path, capsys):
    kb = tmp_path / "kb"
    KnowledgeBase.open(kb, settings=KBSettings(embedder="hashing-64")).close()
    with ItemsApi(count=9) as api:
        config = tmp_path / "articles.yaml"
        config.write_text(yaml.safe_dump(source_config(api.url)), encoding="utf-8")
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")
        assert status == 0, err
        yield kb, config


def test_search_and_status_work_on_a_read_only_knowledge_base(synced, capsys):
    kb, _ = synced
    files = sorted(path.name for path in kb.iterdir())
    with read_only_directory(kb):
        status, out, err = run_cli(capsys, "status", "--kb", str(kb), "--json")
        assert status == 0, err
        [source] = json.loads(out)["sources"]
        assert source["documents"] == 9
        status, out, err = run_cli(capsys, "search", "topic 4", "--kb", str(kb), "--json", "--filter", "author=Omar")
        assert status == 0, err
        assert json.loads(out)[0]["title"] == "Article 4"
        status, out, err = run_cli(capsys, "status", "--kb", str(kb))
        assert status == 0 and "9 documents" in out
    assert sorted(path.name for path in kb.iterdir()) == files


def test_sync_into_a_read_only_knowledge_base_says_so(synced, capsys):
    kb, config = synced
    with read_only_directory(kb):
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")
    assert status == 1
    assert "read-only" in err and str(kb) in err
    assert "internal error" not in err and "unable to open" not in err


def test_a_handle_opened_read_only_refuses_writes_by_name(synced):
    kb, _ = synced
    with KnowledgeBase.open(kb, read_only=True) as base:
        assert base.count_documents() == 9
        with pytest.raises(ReadOnlyKnowledgeBaseError, match="read-only"):
            base.set_state("articles", "note", 1)


def test_reading_commands_never_create_a_knowledge_base(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, err = run_cli(capsys, "status", "--kb", str(empty))
    assert status == 1 and "no knowledge base" in err
    assert list(empty.iterdir()) == []
