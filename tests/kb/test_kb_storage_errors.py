"""Storage failures get named errors, never "internal error": an absurd -k, a damaged database
file, a directory where the database belongs, a full disk (which also keeps what was stored).

The full disk is simulated: SQLite's own "database or disk is full" error is injected into the
chunk insert, and the vector file's append fails with ENOSPC, as each does on a real full disk.
"""

from __future__ import annotations

import errno
import sqlite3

import pytest
import yaml
from sqlalchemy import event

from restsync.cli.main import main
from restsync.clock import FakeClock
from restsync.document import Document
from restsync.errors import DiskFullError
from restsync.kb import HashingEmbedder, KBSettings, KnowledgeBase
from restsync.kb.store.sqlite import DATABASE_FILE, VECTOR_FILE
from restsync.kb.store.vectors import VectorFile
from servers.items_api import ItemsApi, source_config


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def new_kb(path):
    KnowledgeBase.open(path, settings=KBSettings(embedder="hashing-64")).close()
    return path


def doc(n: int) -> Document:
    return Document(id=str(n), semantic_identifier=f"Note {n}", content=f"Note {n} is about cobalt and tin {n}. " * 3)


def test_a_huge_k_is_a_usage_error(tmp_path, capsys):
    kb = new_kb(tmp_path / "kb")
    status, _, err = run_cli(capsys, "search", "anything", "--kb", str(kb), "-k", "99999999999999999999999")
    assert status == 2 and "-k" in err and "internal error" not in err
    with KnowledgeBase.open(kb) as base, pytest.raises(ValueError, match="k: must be between 1 and"):
        base.search("anything", k=10**23)


@pytest.mark.parametrize("command", [["status"], ["search", "cobalt"]])
def test_a_damaged_database_file_is_named(tmp_path, capsys, command):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / DATABASE_FILE).write_bytes(b"this is no SQLite database, only text " * 200)
    status, _, err = run_cli(capsys, *command, "--kb", str(kb))
    assert status == 1 and "internal error" not in err
    assert "damaged" in err and DATABASE_FILE in err


def test_a_damaged_database_file_is_named_by_sync(tmp_path, capsys):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / DATABASE_FILE).write_bytes(b"\x00garbage" * 1000)
    with ItemsApi(count=2) as api:
        config = tmp_path / "articles.yaml"
        config.write_text(yaml.safe_dump(source_config(api.url)), encoding="utf-8")
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")
    assert status == 1 and "internal error" not in err and "damaged" in err


@pytest.mark.parametrize("name", [DATABASE_FILE, VECTOR_FILE])
@pytest.mark.parametrize("command", [["status"], ["search", "cobalt"]])
def test_a_directory_where_a_file_belongs_is_named(tmp_path, capsys, command, name):
    kb = new_kb(tmp_path / "kb")
    if name == VECTOR_FILE:
        (kb / name).unlink()
    else:
        for leftover in kb.glob(name + "*"):
            leftover.unlink()
    (kb / name).mkdir()
    status, _, err = run_cli(capsys, *command, "--kb", str(kb))
    assert status == 1 and "internal error" not in err
    assert "is a directory" in err and name in err


@pytest.fixture
def kb(tmp_path):
    base = KnowledgeBase.open(tmp_path / "kb", embedder=HashingEmbedder(32),
                              settings=KBSettings(chunk_tokens=16, chunk_overlap=4), clock=FakeClock())
    base.upsert_documents("src", [doc(n) for n in range(5)], run_id=base.start_run("src", "full"))
    yield base
    base.close()


def test_sqlite_disk_full_is_named_and_keeps_what_was_stored(kb):
    engine = kb._store._engine

    def full(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO chunks"):
            raise sqlite3.OperationalError("database or disk is full")

    event.listen(engine, "before_cursor_execute", full)
    try:
        with pytest.raises(DiskFullError, match="disk full") as error:
            kb.upsert_documents("src", [doc(n) for n in range(5, 10)], run_id=kb.start_run("src", "full"))
        assert "kept" in str(error.value)
    finally:
        event.remove(engine, "before_cursor_execute", full)
    assert kb.count_documents("src") == 5
    assert kb.search("cobalt tin 3", k=1)[0].document_id == "3"
    counts = kb.upsert_documents("src", [doc(n) for n in range(5, 10)], run_id=kb.start_run("src", "full"))
    assert counts.new == 5 and kb.count_documents("src") == 10


def test_a_full_disk_under_the_vector_file_is_named_and_keeps_what_was_stored(kb, monkeypatch):
    def no_space(self, matrix):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(VectorFile, "append", no_space)
    with pytest.raises(DiskFullError, match="disk full"):
        kb.upsert_documents("src", [doc(n) for n in range(5, 10)], run_id=kb.start_run("src", "full"))
    monkeypatch.undo()
    assert kb.count_documents("src") == 5 and kb.vector_health().ok
    kb.upsert_documents("src", [doc(n) for n in range(5, 10)], run_id=kb.start_run("src", "full"))
    assert kb.search("cobalt tin 8", k=1)[0].document_id == "8"


def test_sync_on_a_full_disk_says_so_and_resumes_after(tmp_path, capsys, monkeypatch):
    kb = new_kb(tmp_path / "kb")
    original = VectorFile.append
    appended = []

    def fills_up(self, matrix):  # page 1 (5 documents of one chunk each) fits, page 2 does not
        if sum(appended) >= 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        appended.append(len(matrix))
        written = original(self, matrix)
        if sum(appended) == 5:  # page 2 is served once page 1 is written, so page 1 is never
            api.release.set()   # written together with page 2 (batches waiting together are)
        return written

    with ItemsApi(count=9) as api:
        api.stall_from_page = 2
        config = tmp_path / "articles.yaml"
        config.write_text(yaml.safe_dump(source_config(api.url)), encoding="utf-8")
        monkeypatch.setattr(VectorFile, "append", fills_up)
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")
        assert status == 1 and "disk full" in err and "internal error" not in err
        monkeypatch.undo()
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")
        assert status == 0, err
        assert "(resumed)" in err
    with KnowledgeBase.open(kb, read_only=True) as base:
        assert base.count_documents("articles") == 9
