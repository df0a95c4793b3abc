"""Store writes: the embedded store (SQLite + vector file) against the PostgreSQL store.

Writes `--documents` documents of `--chunks` chunks each (384-dimensional vectors, 200 per
transaction, as a sync's batches do) through `Store.write_documents`, then re-marks them all seen
(an unchanged re-sync), reads the embedding cache for every chunk text, and prunes nothing.
Reports documents/s and chunks/s per step. PostgreSQL: `--database-url`, or `--start-postgres`
to run a throwaway cluster on loopback (needs PostgreSQL's binaries installed).

    .venv/bin/python bench/bench_store_write.py --start-postgres [--documents 5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from restsync.kb.fingerprint import text_hash
from restsync.kb.store import ChunkRecord, DocumentRecord, SqliteStore
from restsync.kb.store.postgres import PostgresStore

BATCH = 200
DIMENSION = 384


def batches(documents: int, chunks: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    for start in range(0, documents, BATCH):
        records = []
        for number in range(start, min(start + BATCH, documents)):
            record = DocumentRecord(f"doc-{number}", f"Title {number}", f"https://example.test/{number}",
                                    {"n": number, "tags": ["a", f"t{number % 50}"]}, None, text_hash(str(number)))
            for ordinal in range(chunks):
                text = f"chunk {ordinal} of document {number} " * 30
                vector = rng.standard_normal(DIMENSION).astype(np.float32)
                record.chunks.append(ChunkRecord(ordinal, text, text_hash(text), vector / np.linalg.norm(vector)))
            records.append(record)
        yield records


def measure(store, documents: int, chunks: int) -> dict[str, float]:
    figures = {}
    run = store.start_run("bench", "full", 0.0)
    began = time.perf_counter()
    for records in batches(documents, chunks):
        store.write_documents("bench", run, records, [])
    figures["write docs/s"] = documents / (time.perf_counter() - began)
    figures["write chunks/s"] = documents * chunks / (time.perf_counter() - began)
    run = store.start_run("bench", "full", 0.0)
    began = time.perf_counter()
    for start in range(0, documents, BATCH):
        store.write_documents("bench", run, [], [f"doc-{n}" for n in range(start, min(start + BATCH, documents))])
    figures["re-sync unchanged docs/s"] = documents / (time.perf_counter() - began)
    hashes = [text_hash(f"chunk {o} of document {n} " * 30) for n in range(documents) for o in range(chunks)]
    began = time.perf_counter()
    for start in range(0, len(hashes), 1000):
        store.cached_vectors(hashes[start : start + 1000])
    figures["embedding cache chunks/s"] = len(hashes) / (time.perf_counter() - began)
    assert store.count_chunks() == documents * chunks
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--start-postgres", action="store_true")
    args = parser.parse_args()
    cluster = None
    url = args.database_url
    if args.start_postgres:
        sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
        from servers.postgres import Cluster, binaries

        cluster = Cluster(binaries()).start()
        url = cluster.create_database("bench")
    try:
        with tempfile.TemporaryDirectory() as directory:
            sqlite = SqliteStore(Path(directory))
            results = {"sqlite": measure(sqlite, args.documents, args.chunks)}
            sqlite.close()
        if url:
            postgres = PostgresStore(url, "bench")
            results["postgres"] = measure(postgres, args.documents, args.chunks)
            postgres.drop()
            postgres.close()
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"{args.documents} documents x {args.chunks} chunks, {DIMENSION} dimensions, {BATCH} per transaction")
    names = list(next(iter(results.values())))
    print("| step | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{figures[name]:,.0f}" for figures in results.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
