"""Search benchmark: hybrid search with a metadata filter over a synthetic knowledge base.

    .venv/bin/python bench/bench_search.py [--chunks 100000 | --sizes 100000,250000,1000000] [--queries 200] [--model]
        [--index-url milvus+lite:///FILE.db[?index=ivf_flat&nlist=1024&nprobe=16]]

Builds (or reuses, with --dir) a knowledge base of one-chunk documents with Zipf-distributed
vocabulary and metadata, then reports search latency p50/p95 (hybrid, k=10, one filter per
query: a 5%-selective equality, a 50% date range, or a list membership; then a range filter
new to every query, so nothing filter-specific is cached), recall@10 of the
vector index against exact numpy search over the same vectors, and peak RSS. Vectors come
from the 384-dimension hashing embedder so building takes a minute, not hours; --model also
times the real model's query embedding, which a real search adds to the figures above.
"""

from __future__ import annotations

import argparse
import resource
import shlex
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from restsync.document import Document
from restsync.kb import HashingEmbedder, KBSettings, KnowledgeBase, parse_filter
from restsync.kb.store import SearchRequest

from milvus_rss import milvus_server_rss_mib  # bench/, beside this script

DIMENSION = 384
SYLLABLES = "ka lo mi ne ru sa ti vo ze pa de fi gu ho ja ke".split()


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5)))))
    return sorted(words)


def build(kb: KnowledgeBase, chunks: int, words: list[str], rng: np.random.Generator, first: int = 0) -> float:
    zipf = 1.0 / np.arange(1, len(words) + 1) ** 1.05
    zipf /= zipf.sum()
    start = time.perf_counter()
    run_id = kb.start_run("bench", "full")
    batch = 2000
    for start_at in range(first, first + chunks, batch):
        docs = []
        picks = rng.choice(len(words), size=(batch, 60), p=zipf)  # one draw per batch: fast
        for offset, number in enumerate(range(start_at, min(start_at + batch, first + chunks))):
            text = " ".join(words[index] for index in picks[offset])
            day = date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 3650)))
            metadata = {
                "category": f"cat{int(rng.integers(0, 20))}",
                "updated": day.isoformat(),
                "stars": int(rng.integers(0, 1000)),
                "tags": [f"tag{int(t)}" for t in rng.choice(50, size=3, replace=False)],
            }
            docs.append(Document(id=f"doc-{number}", semantic_identifier=f"Item {number}", content=text, metadata=metadata))
        kb.upsert_documents("bench", docs, run_id=run_id)
        print(f"\r  built {min(start_at + batch, first + chunks) - first} / {chunks}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    kb.finish_run(run_id, "ok", {})
    return time.perf_counter() - start


def compare_embedding_stage(model, words: list[str], rng: np.random.Generator, passages: int = 64) -> None:
    """Whole upserts (chunk, hash, embed, write) against the bare model encoding the very
    texts the upsert embeds, alternating, best of two each: the stage must stay within 1.2x."""
    texts = [" ".join(rng.choice(words[:2000], size=60)) for _ in range(passages)]
    bare, staged = [], []
    for attempt in range(2):
        with tempfile.TemporaryDirectory() as directory:
            kb = KnowledgeBase.open(directory, embedder=model, settings=KBSettings(chunk_tokens=256))
            chunk_texts = [chunk.embedding_text for text in texts for chunk in kb.chunker.chunk(f"{text} {attempt}")]
            start = time.perf_counter()
            model.model.encode(chunk_texts, batch_size=model.batch_size, normalize_embeddings=True, show_progress_bar=False)
            bare.append(time.perf_counter() - start)
            docs = [Document(id=f"p{n}", semantic_identifier="", content=f"{text} {attempt}") for n, text in enumerate(texts)]
            start = time.perf_counter()
            counts = kb.upsert_documents("bench", docs, run_id=1)
            staged.append(time.perf_counter() - start)
            kb.close()
    assert counts.chunks_embedded == len(chunk_texts)
    print(
        f"embedding stage, {len(chunk_texts)} chunks: bare model {len(chunk_texts) / min(bare):.1f} chunks/s, "
        f"knowledge-base upsert {len(chunk_texts) / min(staged):.1f} chunks/s, ratio {min(staged) / min(bare):.2f}x"
    )


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(np.asarray(values), share * 100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, help="knowledge-base directory to build or reuse")
    parser.add_argument("--model", action="store_true", help="also time the real model's query embedding")
    parser.add_argument("--index-url", help="search index (default the embedded store; milvus+lite:///FILE.db for Milvus "
                        "Lite, with ?index=ivf_flat&nlist=...&nprobe=... or ?index=hnsw&M=...&ef=... for an ANN index)")
    parser.add_argument("--sizes", help="comma-separated chunk counts: build up to each in turn and measure at each")
    args = parser.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))

    rng = np.random.default_rng(7)
    words = vocabulary(20_000, rng)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    embedder = HashingEmbedder(DIMENSION)
    kb = KnowledgeBase.open(
        directory, embedder=embedder, settings=KBSettings(embedder=embedder.name, chunk_tokens=256), index_url=args.index_url
    )
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else [args.chunks]
    queries = [" ".join(rng.choice(words[50:3000], size=4)) for _ in range(args.queries)]
    for size in sizes:
        if kb.count_chunks() < size:
            wanted = size - kb.count_chunks()
            seconds = build(kb, wanted, words, rng, first=kb.count_chunks())
            print(f"build: {wanted} chunks in {seconds:.1f} s ({wanted / seconds:.0f} chunks/s, hashing embedder)")
        print(f"knowledge base: {kb.count_documents()} documents, {kb.count_chunks()} chunks in {directory}, index {kb.index_name}")
        measure(kb, embedder, queries)
    if args.model:
        time_model(words, queries, rng)
    kb.close()


def measure(kb: KnowledgeBase, embedder: HashingEmbedder, queries: list[str]) -> None:
    filters = ["category=cat3", "updated>=2020-01-01", "tags in tag7,tag8"]
    kb.search(queries[0], k=10, filters=[filters[0]])  # warm the page cache and the memory map
    latencies: dict[str, list[float]] = {f: [] for f in filters}
    for number, query in enumerate(queries):
        expression = filters[number % len(filters)]
        start = time.perf_counter()
        hits = kb.search(query, k=10, filters=[parse_filter(expression)])
        latencies[expression].append((time.perf_counter() - start) * 1000)
        assert len(hits) <= 10
    every = [value for values in latencies.values() for value in values]
    print(f"hybrid search + filter, k=10, {len(every)} queries: p50 {percentile(every, .5):.1f} ms, p95 {percentile(every, .95):.1f} ms")
    for expression, values in latencies.items():
        print(f"  {expression:<22} p50 {percentile(values, .5):.1f} ms  p95 {percentile(values, .95):.1f} ms")
    # A filter no earlier query used: nothing cached for it (`stars>=N`, a range of any width).
    thresholds = np.random.default_rng(11).integers(0, 1000, size=len(queries))
    fresh = []
    for query, threshold in zip(queries, thresholds):
        start = time.perf_counter()
        kb.search(query, k=10, filters=[parse_filter(f"stars>={threshold}")])
        fresh.append((time.perf_counter() - start) * 1000)
    print(f"  {'stars>=<random>':<22} p50 {percentile(fresh, .5):.1f} ms  p95 {percentile(fresh, .95):.1f} ms (a new filter each query)")

    report_recall(kb, embedder, queries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB" + _engine_rss())


def report_recall(kb: KnowledgeBase, embedder: HashingEmbedder, queries: list[str]) -> None:
    store = kb._store  # the bench compares the index with brute force over the same rows
    index = kb._index
    matrix = np.asarray(store.vectors.matrix())
    recalls = []
    for query in queries[:50]:
        vector = embedder.embed([query])[0]
        found = index.search(SearchRequest(query, vector, candidates=10, use_keyword=False))
        found_ids = {c.doc_id for c in found if c.vector_score is not None}
        exact_rows = np.argsort(-(matrix @ vector))[:10]
        exact_scores = (matrix @ vector)[exact_rows]
        # Compare by score: ties between equal vectors make ids ambiguous, scores are not.
        got = sorted((c.vector_score for c in found), reverse=True)[:10]
        recalls.append(float(np.mean([any(abs(g - e) < 1e-5 for g in got) for e in exact_scores])))
        assert found_ids
    print(f"recall@10 of the vector index vs exact search: {np.mean(recalls):.3f}")


def time_model(words: list[str], queries: list[str], rng: np.random.Generator) -> None:
    from restsync.kb import LocalEmbedder

    model = LocalEmbedder()
    model.embed(["warm up"])
    timings = []
    for query in queries[:50]:
        start = time.perf_counter()
        model.embed([query])
        timings.append((time.perf_counter() - start) * 1000)
    print(f"query embedding (all-MiniLM-L6-v2 on {model.device}): p50 {percentile(timings, .5):.1f} ms, p95 {percentile(timings, .95):.1f} ms")
    compare_embedding_stage(model, words, rng)


def _engine_rss() -> str:
    """The Milvus Lite server's peak RSS, when this run started one."""
    _, peak = milvus_server_rss_mib()
    return f"; Milvus Lite server peak {peak:.0f} MiB" if peak else ""


if __name__ == "__main__":
    main()

