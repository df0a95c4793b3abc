"""kill -9 at seeded points of a sync, then resume: the knowledge base ends exactly as an
uninterrupted run leaves it (documents, chunks, vectors row for row, sync state, search results).

Three syncs per scenario: a first full sync of 60 items, a full re-sync after the API deleted 8,
changed 5 and added 6 (it marks the 8 missing), and one more full sync, which prunes them (a
document is deleted only when two full listings in a row missed it). The child process is killed
at the n-th call of one stage (see crash_child.py) in one of the syncs, n drawn from the seed; the
same sync is then run again, to completion, and the next ones after it.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from restsync.clock import FakeClock
from restsync.kb import KBSettings, KnowledgeBase

from .chaos import Chaos, ChaosApi, config_for, item
from .conftest import seeds

CHILD = Path(__file__).with_name("crash_child.py")
COUNT = 60
# Stage -> highest call number worth drawing in syncs 1, 2 and 3 (beyond it the run finishes):
# sync 1 stores 60 documents (one chunk each) in 12 batches of 5; sync 2 re-embeds only the 11
# changed or new ones, in 3 batches; sync 3 embeds nothing and deletes the 8 documents sync 2
# marked missing. Embedding counts texts: how the pipeline groups them into calls depends on timing.
POINTS = {"fetch": (7, 7, 7), "chunking": (60, 11, 0), "embedding": (60, 11, 0), "commit": (12, 3, 0),
          "checkpoint": (7, 7, 7), "prune": (0, 0, 1), "pruned": (0, 0, 1)}
QUERIES = ["Body of item 17", "Item 42", "item changed"]


def source_config(server: ChaosApi) -> dict:
    # A fixed source_id: ids must not depend on the port the test server happened to get.
    return {**config_for("page", server), "batch_size": 5, "source_id": "chaos"}


def change_the_api(server: ChaosApi) -> None:
    rng = random.Random(7)
    gone = set(rng.sample(range(1, COUNT + 1), 8))
    server.items = [entry for entry in server.items if entry["id"] not in gone]
    for entry in rng.sample(server.items, 5):
        entry["body"] = f"Body of item {entry['id']}, item changed."
    server.items[:0] = [item(n) for n in range(COUNT + 6, COUNT, -1)]


def run_child(tmp: Path, kb: Path, config: dict, *, full: bool, point: str | None = None, after: int = 0) -> int:
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"kb": str(kb), "config": config, "full": full, "point": point, "after": after}))
    done = subprocess.run([sys.executable, str(CHILD), str(spec)], capture_output=True, text=True, timeout=120)
    if point is None:
        assert done.returncode == 0, done.stderr[-2000:]
    else:
        assert done.returncode in (0, -signal.SIGKILL), done.stderr[-2000:]
    return done.returncode


def snapshot(directory: Path) -> dict:
    """Everything a user can observe of a knowledge base, independent of row keys and file offsets."""
    db = sqlite3.connect(directory / "kb.sqlite")
    try:
        documents = db.execute(
            "SELECT source, doc_id, title, link, metadata, updated_at, content_hash FROM documents "
            "ORDER BY source, doc_id").fetchall()
        chunks = db.execute(
            "SELECT d.doc_id, c.ordinal, c.title, c.text, c.embed_hash, c.vec_row FROM chunks c "
            "JOIN documents d ON d.doc_key = c.doc_key ORDER BY d.doc_id, c.ordinal").fetchall()
        meta = db.execute("SELECT d.doc_id, m.key, m.text_value, m.num_value FROM doc_meta m "
                          "JOIN documents d ON d.doc_key = m.doc_key ORDER BY 1, 2, 3").fetchall()
        state = db.execute("SELECT source, key, value FROM sync_state ORDER BY 1, 2").fetchall()
    finally:
        db.close()
    with KnowledgeBase.open(directory, read_only=True) as kb:
        vectors = kb._store.vectors.read([row[5] for row in chunks]) if chunks else np.zeros((0, 64))
        searches = [[(hit.document_id, hit.text, hit.score) for hit in kb.search(query, k=5)] for query in QUERIES]
        health = kb.vector_health().ok
    return {
        "documents": documents,
        "chunks": [row[:5] for row in chunks],
        "vectors": np.round(vectors, 6).tolist(),
        "metadata": meta,
        "state": state,
        "searches": searches,
        "vectors_ok": health,
    }


def two_syncs(tmp: Path, name: str, *, kill: tuple[int, str, int] | None) -> tuple[dict, int]:
    """Both syncs (each resumed after its kill, if any). Returns the snapshot and how many kills landed."""
    clock = FakeClock()
    server = ChaosApi(COUNT, Chaos(fault_rate=0.0), seed=0, now=clock.time).start()
    directory = tmp / name
    KnowledgeBase.open(directory, settings=KBSettings(embedder="hashing-64")).close()
    config = source_config(server)
    killed = 0
    try:
        for phase in (1, 2, 3):
            if phase == 2:
                change_the_api(server)
            if kill and kill[0] == phase:
                code = run_child(tmp, directory, config, full=phase > 1, point=kill[1], after=kill[2])
                killed += code == -signal.SIGKILL
            run_child(tmp, directory, config, full=phase > 1)
        return snapshot(directory), killed
    finally:
        server.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    state, _ = two_syncs(tmp_path_factory.mktemp("reference"), "kb", kill=None)
    assert len(state["documents"]) == COUNT - 8 + 6 and state["vectors_ok"]
    return state


def differences(expected: dict, actual: dict) -> list[str]:
    """Names of what differs; `state` holds the watermark and the (cleared) checkpoint."""
    return [key for key in expected if expected[key] != actual[key]]


@pytest.mark.parametrize("point", list(POINTS))
@pytest.mark.parametrize("seed", seeds(1, 6))
def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, reference, figures, point, seed):
    rng = random.Random(f"{seed}:{point}")
    phase = 3 if point in ("prune", "pruned") else rng.choice((1, 2))
    after = rng.randint(1, POINTS[point][phase - 1])
    state, killed = two_syncs(tmp_path, "kb", kill=(phase, point, after))
    diffs = differences(reference, state)
    figures.add("crash: differing KBs / runs", runs=1, killed=killed, differing=int(bool(diffs)))
    assert killed, f"the child was never killed at {point} #{after} (phase {phase})"
    detail = {key: (len(reference[key]), len(state[key])) for key in diffs}
    assert not diffs, f"{detail} {point} #{after} in sync {phase} (seed {seed}): differs in {diffs}"
