"""Two sources synced into one new knowledge base at the same time, by two handles: in two
threads and in two processes. A handle opened while the knowledge base was empty must learn the
vector dimension the other one wrote (it used to crash with IndexError reading shared vectors).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

from restsync.clock import FakeClock
from restsync.document import Document
from restsync.kb import HashingEmbedder, KBSettings, KnowledgeBase
from servers.items_api import ItemsApi, source_config

SETTINGS = KBSettings(embedder="hashing-64", chunk_tokens=16, chunk_overlap=4)


def shared_documents() -> list[Document]:
    # Both sources list the same texts: the second writer finds the first one's vectors to reuse.
    return [Document(id=str(n), semantic_identifier=f"Guide {n}", content=f"Guide {n} covers subject {n} fully. " * 4)
            for n in range(12)]


def open_dir(path: Path) -> KnowledgeBase:
    return KnowledgeBase.open(path, embedder=HashingEmbedder(64), settings=SETTINGS, clock=FakeClock())


def test_a_handle_opened_empty_reuses_vectors_another_handle_wrote(tmp_path, open_kb):
    # On each backend (`open_kb`), PostgreSQL included.
    first, second = (open_kb(tmp_path / "kb", embedder=HashingEmbedder(64), settings=SETTINGS, clock=FakeClock()) for _ in range(2))
    try:
        first.upsert_documents("a", shared_documents(), run_id=first.start_run("a", "full"))
        counts = second.upsert_documents("b", shared_documents(), run_id=second.start_run("b", "full"))
        assert counts.new == 12 and counts.chunks_embedded == 0  # every vector reused, none re-embedded
        [hit] = second.search("Guide 7 covers subject 7", k=1, vector_weight=1.0, sources=["b"])
        assert (hit.document_id, hit.source) == ("7", "b")
    finally:
        first.close()
        second.close()


def test_two_threads_sync_two_sources_into_a_new_knowledge_base(tmp_path):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sync(source: str) -> None:
        try:
            kb = open_dir(tmp_path / "kb")
            try:
                barrier.wait(timeout=30)  # both handles open on the empty knowledge base before any write
                for start in range(0, 12, 3):
                    kb.upsert_documents(source, shared_documents()[start : start + 3], run_id=kb.start_run(source, "full"))
            finally:
                kb.close()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=sync, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with open_dir(tmp_path / "kb") as kb:
        assert (kb.count_documents("a"), kb.count_documents("b")) == (12, 12)
        assert kb.vector_health().ok
        for n in (0, 5, 11):
            assert kb.search(f"Guide {n} covers subject {n}", k=1, vector_weight=1.0)[0].document_id == str(n)


class BothWaitingApi(ItemsApi):
    """Holds every first page until `release`; `both_waiting` is set once two syncs are held,
    i.e. both processes have opened the (still empty) knowledge base."""

    def __init__(self, count: int):
        super().__init__(count)
        self.stall_from_page = 1
        self.both_waiting = threading.Event()
        self._held = 0

    def respond(self, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("page", "1") == "1":
            with self.lock:
                self._held += 1
                if self._held >= 2:
                    self.both_waiting.set()
        return super().respond(query)


def test_two_processes_sync_two_sources_into_a_new_knowledge_base(tmp_path):
    kb = tmp_path / "kb"
    KnowledgeBase.open(kb, settings=KBSettings(embedder="hashing-64")).close()
    with BothWaitingApi(count=12) as api:
        commands = []
        for name in ("alpha", "beta"):
            config = tmp_path / f"{name}.yaml"
            config.write_text(yaml.safe_dump(source_config(api.url)), encoding="utf-8")
            commands.append([sys.executable, "-m", "restsync.cli.main", "sync", str(config), "--kb", str(kb),
                             "--allow-private", "--quiet"])
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for command in commands]
        try:
            assert api.both_waiting.wait(60), "both syncs should reach the API"
            api.release.set()
            results = [process.communicate(timeout=90) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
    for process, (_, err) in zip(processes, results):
        assert process.returncode == 0, err
        assert "internal error" not in err
    status = subprocess.run([sys.executable, "-m", "restsync.cli.main", "status", "--kb", str(kb), "--json"],
                            capture_output=True, text=True, timeout=60)
    report = json.loads(status.stdout)
    assert {source["name"]: source["documents"] for source in report["sources"]} == {"alpha": 12, "beta": 12}
    assert report["vectors"]["ok"]
