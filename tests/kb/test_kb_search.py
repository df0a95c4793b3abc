"""Filtered vector search against brute force, and the caches search keeps between writes.

Vectors come from a seeded embedder: each text names its vector (`v17`), so the expected
ranking is computed here in numpy, independently of the store.
"""

from __future__ import annotations

import re
import threading
from typing import Callable, Sequence

import numpy as np
import pytest

from restsync.document import Document
from restsync.kb import KnowledgeBase, parse_filter
from restsync.kb.store import SearchRequest

DIMENSION = 24
DOCS = 400


class SeededEmbedder:
    """`v<n>` in a text picks a fixed random unit vector; texts without one get vector 0's."""

    name = f"seeded-{DIMENSION}"
    dimension = DIMENSION

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([vector_for(int(m.group(1)) if (m := re.search(r"\bv(\d+)\b", t)) else 0) for t in texts])


def vector_for(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=DIMENSION).astype(np.float32)
    return vector / np.linalg.norm(vector)


def metadata_of(n: int) -> dict:
    return {"group": f"g{n % 7}", "rank": n % 50, "tags": [f"t{n % 5}", f"t{n % 3 + 5}"]}


def source_of(n: int) -> str:
    return "alpha" if n % 4 else "beta"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    base = KnowledgeBase.open(tmp_path_factory.mktemp("kb"), embedder=SeededEmbedder())
    for source in ("alpha", "beta"):
        docs = [
            Document(id=f"d{n}", semantic_identifier=f"v{n}", content=f"v{n} body", metadata=metadata_of(n))
            for n in range(DOCS)
            if source_of(n) == source
        ]
        base.upsert_documents(source, docs, run_id=base.start_run(source, "full"))
    yield base
    base.close()


def vector_hits(kb: KnowledgeBase, seed: int, k: int, filters: Sequence[str] = (), sources=None) -> list[str]:
    request = SearchRequest(
        text="", vector=vector_for(seed), candidates=k, use_keyword=False,
        filters=[parse_filter(f) for f in filters], sources=sources,
    )
    found = sorted(kb._store.search(request), key=lambda c: -(c.vector_score or 0.0))
    return [c.doc_id for c in found]


def brute_force(seed: int, k: int, allowed: Callable[[int], bool]) -> list[str]:
    numbers = [n for n in range(DOCS) if allowed(n)]
    if not numbers:
        return []
    matrix = np.vstack([vector_for(n) for n in numbers])
    order = np.argsort(-(matrix @ vector_for(seed)))[:k]
    return [f"d{numbers[i]}" for i in order]


@pytest.mark.parametrize(
    "filters, sources, allowed",
    [
        ([], None, lambda n: True),
        (["rank=7"], None, lambda n: n % 50 == 7),  # 2% of rows: gathered
        (["group in g1,g2"], None, lambda n: n % 7 in (1, 2)),  # 29%: one product over all rows
        (["group!=g3"], None, lambda n: n % 7 != 3),
        (["rank>=40", "tags=t2"], None, lambda n: n % 50 >= 40 and n % 5 == 2),
        (["tags!=t6"], None, lambda n: n % 3 + 5 != 6),  # no list element equals it
        (["tags in t1,t7"], ["beta"], lambda n: (n % 5 == 1 or n % 3 == 2) and source_of(n) == "beta"),
        ([], ["alpha"], lambda n: source_of(n) == "alpha"),
        (["group=nowhere"], None, lambda n: False),
    ],
)
def test_filtered_vector_search_matches_brute_force(kb, filters, sources, allowed):
    for seed in (1001, 1002, 1003):
        assert vector_hits(kb, seed, 10, filters, sources) == brute_force(seed, 10, allowed)


def test_keyword_candidates_also_get_their_cosine(kb):
    request = SearchRequest(text="v5", vector=vector_for(1001), candidates=5, filters=[parse_filter("rank=5")])
    by_id = {c.doc_id: c for c in kb._store.search(request)}
    assert by_id["d5"].keyword_score is not None
    assert by_id["d5"].vector_score == pytest.approx(float(vector_for(5) @ vector_for(1001)), abs=1e-5)
    assert all(int(doc_id[1:]) % 50 == 5 for doc_id in by_id)


def test_concurrent_searches_agree_with_serial_ones(kb):
    cases = [(seed, filters) for seed in range(2000, 2006) for filters in (("group=g2",), ("rank<10",), ())]
    expected = {case: vector_hits(kb, case[0], 8, case[1]) for case in cases}
    results: dict = {}

    def worker(offset: int) -> None:
        for case in cases[offset:] + cases[:offset]:
            results.setdefault(case, []).append(vector_hits(kb, case[0], 8, case[1]))

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(runs == [expected[case]] * 4 for case, runs in results.items())


def test_a_write_by_another_handle_is_seen_by_a_repeated_filter(tmp_path):
    """Chunk map and filter masks are cached; a write through a second handle on the same
    directory (another process, say) must still show up in the very next search."""
    reader = KnowledgeBase.open(tmp_path, embedder=SeededEmbedder())  # opened empty: learns the dimension later
    writer = KnowledgeBase.open(tmp_path, embedder=SeededEmbedder())
    try:
        run = writer.start_run("s", "full")
        writer.upsert_documents("s", [Document(id=f"d{n}", semantic_identifier=f"v{n}", content=f"v{n}", metadata={"k": "old"}) for n in range(30)], run_id=run)
        assert vector_hits(reader, 7, 5, ["k=new"]) == []
        moved = Document(id="d3", semantic_identifier="v3", content="v3", metadata={"k": "new"})
        writer.upsert_documents("s", [moved], run_id=run)
        assert vector_hits(reader, 7, 5, ["k=new"]) == ["d3"]
        assert "d3" not in vector_hits(reader, 3, 30, ["k=old"])
        writer.delete_source("s")
        assert vector_hits(reader, 3, 5, ["k=old"]) == [] and vector_hits(reader, 3, 5) == []
    finally:
        reader.close()
        writer.close()


def test_filter_picks_the_right_document_among_chunks_sharing_a_vector(tmp_path):
    """Equal texts share one vector row; the filter decides which document it stands for."""
    kb = KnowledgeBase.open(tmp_path, embedder=SeededEmbedder())
    try:
        twins = [Document(id=doc_id, semantic_identifier="v9", content="v9 same", metadata={"side": doc_id}) for doc_id in ("left", "right")]
        kb.upsert_documents("s", twins, run_id=kb.start_run("s", "full"))
        assert vector_hits(kb, 9, 5, ["side=right"]) == ["right"]
        assert vector_hits(kb, 9, 5, ["side=left"]) == ["left"]
        assert len(vector_hits(kb, 9, 5)) == 1  # unfiltered: the row is one candidate, as before
    finally:
        kb.close()


def test_a_knowledge_base_from_before_the_chunk_map_index_gets_it_on_open(tmp_path):
    import sqlite3

    kb = KnowledgeBase.open(tmp_path, embedder=SeededEmbedder())
    kb.upsert_documents("s", [Document(id="d1", semantic_identifier="v1", content="v1")], run_id=kb.start_run("s", "full"))
    kb.close()
    with sqlite3.connect(tmp_path / "kb.sqlite") as conn:
        conn.execute("DROP INDEX ix_chunks_map")
    reopened = KnowledgeBase.open(tmp_path, embedder=SeededEmbedder())
    try:
        assert vector_hits(reopened, 1, 3) == ["d1"]
    finally:
        reopened.close()
