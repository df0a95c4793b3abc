"""A damaged vector file (truncated or deleted) is noticed, reported, refused and repaired, never
silently mixed up; a vector file whose database is gone is not built over.

Hashing embedder throughout: these tests are about storage consistency, not embedding quality.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from restsync.cli.main import main
from restsync.clock import FakeClock
from restsync.document import Document
from restsync.errors import DamagedKnowledgeBaseError
from restsync.kb import HashingEmbedder, KBSettings, KnowledgeBase
from restsync.kb.store.sqlite import DATABASE_FILE, VECTOR_FILE
from servers.items_api import ItemsApi, source_config

SETTINGS = KBSettings(embedder="hashing-64", chunk_tokens=16, chunk_overlap=4)
TOPICS = ["walrus", "narwhal", "pelican", "otter", "heron", "lynx", "badger", "marmot"]


def documents() -> list[Document]:
    return [
        Document(id=topic, semantic_identifier=f"All about the {topic}",
                 content=f"The {topic} lives here. " * 6 + f"Facts on {topic} habitats and {topic} diets.")
        for topic in TOPICS
    ]


def open_kb(path) -> KnowledgeBase:
    return KnowledgeBase.open(path, embedder=HashingEmbedder(64), settings=SETTINGS, clock=FakeClock())


def best_hits(kb: KnowledgeBase) -> dict[str, tuple[str, float]]:
    """Per topic, the top vector-only hit for its title: (document, score)."""
    found = {}
    for topic in TOPICS:
        [hit] = kb.search(f"All about the {topic}", k=1, vector_weight=1.0)
        found[topic] = (hit.document_id, hit.score)
    return found


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "kb"
    with open_kb(path) as kb:
        kb.upsert_documents("src", documents(), run_id=kb.start_run("src", "full"))
        expected = best_hits(kb)
    assert all(doc_id == topic for topic, (doc_id, _) in expected.items())
    return path, expected


def truncate_vectors(path, keep_share: float = 0.5) -> None:
    vectors = path / VECTOR_FILE
    row_bytes = 64 * 4
    rows = vectors.stat().st_size // row_bytes
    os.truncate(vectors, int(rows * keep_share) * row_bytes)


def test_a_truncated_vector_file_is_reported_and_vector_search_refused(filled):
    path, _ = filled
    truncate_vectors(path)
    with open_kb(path) as kb:
        health = kb.vector_health()
        assert not health.ok and health.chunks_missing > 0
        assert health.rows_in_file < health.rows_referenced
        with pytest.raises(DamagedKnowledgeBaseError, match="truncated or deleted"):
            kb.search("All about the walrus", vector_weight=1.0)
        # Keyword search needs no vectors and keeps working meanwhile.
        assert kb.search("narwhal", vector_weight=0.0)[0].document_id == "narwhal"


def test_repair_re_embeds_exactly_what_was_lost(filled):
    path, expected = filled
    truncate_vectors(path)
    with open_kb(path) as kb:
        missing = kb.vector_health().chunks_missing
        assert kb.repair_vectors() > 0
        assert kb.vector_health().ok
        assert best_hits(kb) == expected
        assert kb.repair_vectors() == 0
    assert missing


def test_a_deleted_vector_file_is_rebuilt_from_the_stored_text(filled):
    path, expected = filled
    (path / VECTOR_FILE).unlink()
    with open_kb(path) as kb:
        health = kb.vector_health()
        assert health.rows_in_file == 0 and health.chunks_missing == kb.count_chunks()
        kb.repair_vectors()
        assert best_hits(kb) == expected


def test_writing_to_a_damaged_knowledge_base_repairs_it_first(filled):
    """The old failure: new rows were appended over the gap, so old chunks pointed at new
    documents' vectors and scores went wrong without any error."""
    path, expected = filled
    truncate_vectors(path)
    with open_kb(path) as kb:
        newcomers = [Document(id=f"new{n}", semantic_identifier=f"Unrelated note {n}",
                              content=f"Quarterly budget figures number {n} " * 5) for n in range(40)]
        kb.upsert_documents("other", newcomers, run_id=kb.start_run("other", "full"))
        assert best_hits(kb) == expected
        assert kb.vector_health().ok


def test_a_partial_row_is_left_alone_on_open_and_dropped_by_the_next_writer(filled):
    """Another process may be mid-append: opening must not cut its row short."""
    path, expected = filled
    vectors = path / VECTOR_FILE
    with open(vectors, "ab") as handle:
        handle.write(b"\x00" * 10)
    size = vectors.stat().st_size
    with open_kb(path) as kb:
        assert vectors.stat().st_size == size
        assert best_hits(kb) == expected
        kb.upsert_documents("src", [Document(id="late", semantic_identifier="Late addition",
                                             content="Kingfisher notes " * 5)], run_id=kb.start_run("src", "full"))
        assert (vectors.stat().st_size % (64 * 4)) == 0
        assert best_hits(kb) == expected
        assert kb.search("Late addition Kingfisher notes", k=1, vector_weight=1.0)[0].document_id == "late"


def test_a_vector_file_without_its_database_is_not_built_over(filled):
    path, _ = filled
    before = (path / VECTOR_FILE).read_bytes()
    for name in (DATABASE_FILE, DATABASE_FILE + "-wal", DATABASE_FILE + "-shm"):
        if (path / name).exists():
            (path / name).unlink()
    with pytest.raises(DamagedKnowledgeBaseError, match="no database") as error:
        open_kb(path)
    assert VECTOR_FILE in str(error.value)
    assert (path / VECTOR_FILE).read_bytes() == before
    assert not (path / DATABASE_FILE).exists()


# -- through the CLI ---------------------------------------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_status_reports_damage_search_refuses_and_sync_repairs(tmp_path, capsys):
    kb = tmp_path / "kb"
    KnowledgeBase.open(kb, settings=KBSettings(embedder="hashing-64")).close()
    with ItemsApi(count=9) as api:
        config = tmp_path / "articles.yaml"
        config.write_text(yaml.safe_dump(source_config(api.url)), encoding="utf-8")
        status, _, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet")
        assert status == 0, err
        _, before, _ = run_cli(capsys, "search", "Article 4", "--kb", str(kb), "--json", "--vector-weight", "1")

        truncate_vectors(kb, keep_share=0.3)

        status, out, _ = run_cli(capsys, "status", "--kb", str(kb), "--json")
        vectors = json.loads(out)["vectors"]
        assert status == 0 and not vectors["ok"] and vectors["chunks_missing"] > 0
        status, out, _ = run_cli(capsys, "status", "--kb", str(kb))
        assert "DAMAGED" in out

        status, _, err = run_cli(capsys, "search", "Article 4", "--kb", str(kb), "--vector-weight", "1")
        assert status == 1 and "internal error" not in err
        assert "vector file" in err and "sync" in err

        status, out, err = run_cli(capsys, "sync", str(config), "--kb", str(kb), "--allow-private", "--quiet",
                                   "--full", "--json")
        assert status == 0, err
        assert "re-embedding" in err and "repaired" in err
        status, out, _ = run_cli(capsys, "status", "--kb", str(kb), "--json")
        assert json.loads(out)["vectors"]["ok"]
        _, after, _ = run_cli(capsys, "search", "Article 4", "--kb", str(kb), "--json", "--vector-weight", "1")
        assert json.loads(after) == json.loads(before)


def test_deleting_documents_of_a_damaged_knowledge_base_keeps_the_damage_visible(filled):
    """Zeroing released rows past the end used to grow the file and hide what was missing."""
    path, _ = filled
    truncate_vectors(path)
    with open_kb(path) as kb:
        size = (path / VECTOR_FILE).stat().st_size
        kb.delete_source("src")
        assert (path / VECTOR_FILE).stat().st_size == size
        kb.upsert_documents("src", documents()[:2], run_id=kb.start_run("src", "full"))
        assert kb.vector_health().ok
        assert kb.search("All about the walrus", k=1, vector_weight=1.0)[0].document_id == "walrus"
