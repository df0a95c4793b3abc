"""Milvus Lite on the index's own schema: insert rate, hybrid search with a metadata filter (BM25
leg + dense leg, the two calls `MilvusIndex.search` makes), recall@10 of the dense leg against
exact search, and memory, measured as the collection grows.

    python bench/bench_milvus_lite.py [--sizes 20000] [--batch 2000] [--queries 100]
        [--index "index=ivf_flat&nlist=1024&nprobe=16"] [--index-after-load] [--upsert-deletes]

`--sizes 100000,250000,1000000` inserts up to each size in turn and measures at each one, so one
run shows the trend; `--time-limit S` stops inserting when the next size would not fit (the
sizes reached are still measured). `--index` takes the query options of an index URL
(`restsync.kb.index.milvus_dense`; default exact `flat`). `--index-after-load` creates the
collection without its dense index, builds it once the first size is inserted, and releases the
collection (unloads it) before inserting more: the bulk path, loading only to search. `--upsert-deletes`
deletes each batch's documents by `doc_key` before inserting them, as `MilvusIndex.upsert` does.

Rows are synthetic (Zipf words, 384-dimension random unit vectors, the same filter fields as
`restsync.kb.index.milvus_filters`), so the figures isolate the engine; generating them is timed
apart from inserting them. Recall compares the dense leg's top 10 with a running exact top 10
kept over every inserted vector (no copy of the vectors is held). Memory: peak RSS of this process
(the client) and of the Milvus Lite server process it starts.

Run it in the project's environment (`.venv`, the scale extra). Comparing Milvus Lite versions
needs a scratch environment per version with restsync installed without dependencies:
    python -m venv /tmp/lite25 && /tmp/lite25/bin/pip install milvus-lite==2.5.1 'pymilvus>=2.5,<2.6' numpy
    /tmp/lite25/bin/pip install --no-deps -e . && /tmp/lite25/bin/python bench/bench_milvus_lite.py
"""

from __future__ import annotations

import argparse
import resource
import shlex
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient

from restsync.kb.index.milvus_dense import DenseIndex, parse_dense_index

from milvus_rss import milvus_server_rss_mib  # bench/, beside this script

DIMENSION = 384
FILTERS = [
    'json_contains(filters["keys"], "category") and (json_contains_any(filters["text"]["category"], ["cat3"]))',
    'json_contains(filters["keys"], "stars") and filters["num_hi"]["stars"] >= 500',
    'json_contains(filters["keys"], "tags") and (json_contains_any(filters["text"]["tags"], ["tag7", "tag8"]))',
]
RECALL_QUERIES = 50


def schema() -> object:
    fields = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    fields.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    fields.add_field("doc_key", DataType.VARCHAR, max_length=32)
    fields.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params={"tokenizer": "standard", "filter": ["lowercase"]})
    fields.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    fields.add_field("dense", DataType.FLOAT_VECTOR, dim=DIMENSION)
    fields.add_field("filters", DataType.JSON)
    fields.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]))
    return fields


def index_params(client: MilvusClient, dense: DenseIndex | None, *, sparse: bool = True) -> object:
    indexes = client.prepare_index_params()
    if sparse:
        indexes.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    if dense is not None:
        indexes.add_index(field_name="dense", index_name="dense", index_type=dense.milvus_type, metric_type="COSINE",
                          params=dense.build_params())
    return indexes


class Rows:
    """Synthetic rows, batch by batch, and the exact top 10 of the recall queries over them all."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.words = [f"w{n}" for n in range(20_000)]
        zipf = 1.0 / np.arange(1, len(self.words) + 1) ** 1.05
        self.zipf = zipf / zipf.sum()
        queries = rng.standard_normal((RECALL_QUERIES, DIMENSION)).astype(np.float32)
        self.queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        self.top_scores = np.full((RECALL_QUERIES, 10), -np.inf, dtype=np.float32)
        self.top_ids = np.full((RECALL_QUERIES, 10), -1, dtype=np.int64)

    def batch(self, first: int, count: int) -> list[dict]:
        picks = self.rng.choice(len(self.words), size=(count, 60), p=self.zipf)
        vectors = self.rng.standard_normal((count, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        self._track(first, vectors)
        categories = self.rng.integers(0, 20, size=count)
        stars = self.rng.integers(0, 1000, size=count)
        tags = np.argsort(self.rng.random((count, 50)), axis=1)[:, :3]
        rows = []
        for offset in range(count):
            number = first + offset
            rows.append({
                "pk": f"r{number}", "doc_key": f"k{number}", "text": " ".join(self.words[i] for i in picks[offset]),
                "dense": vectors[offset],
                "filters": {"keys": ["category", "stars", "tags"],
                            "text": {"category": [f"cat{categories[offset]}"], "tags": [f"tag{t}" for t in tags[offset]]},
                            "num_hi": {"stars": int(stars[offset])}},
            })
        return rows

    def exact_from(self, client: MilvusClient) -> None:
        """The exact top 10 of the recall queries over every vector the collection holds."""
        self.top_scores[:] = -np.inf
        self.top_ids[:] = -1
        iterator = client.query_iterator("bench", batch_size=8192, filter="", output_fields=["pk", "dense"])
        while True:
            page = iterator.next()
            if not page:
                break
            ids = np.asarray([int(row["pk"][1:]) for row in page])
            vectors = np.asarray([row["dense"] for row in page], dtype=np.float32)
            self._merge(ids, self.queries @ vectors.T)
        iterator.close()

    def _track(self, first: int, vectors: np.ndarray) -> None:
        self._merge(np.arange(first, first + len(vectors)), self.queries @ vectors.T)

    def _merge(self, row_ids: np.ndarray, scores: np.ndarray) -> None:
        ids = np.broadcast_to(row_ids, scores.shape)
        both_scores = np.concatenate([self.top_scores, scores], axis=1)
        both_ids = np.concatenate([self.top_ids, ids], axis=1)
        best = np.argsort(-both_scores, axis=1)[:, :10]
        self.top_scores = np.take_along_axis(both_scores, best, axis=1)
        self.top_ids = np.take_along_axis(both_ids, best, axis=1)


def measure(client: MilvusClient, rows: Rows, dense: DenseIndex, queries: int, rng: np.random.Generator) -> None:
    latencies = []
    for number in range(queries):
        text = " ".join(rng.choice(rows.words[50:3000], size=4))
        vector = rng.standard_normal(DIMENSION).astype(np.float32)
        vector /= np.linalg.norm(vector)
        condition = FILTERS[number % len(FILTERS)]
        begin = time.perf_counter()
        client.search("bench", data=[text], anns_field="sparse", limit=80, filter=condition,
                      output_fields=["pk", "dense"], search_params={"metric_type": "BM25"})
        client.search("bench", data=[vector.tolist()], anns_field="dense", limit=20, filter=condition,
                      output_fields=["pk"], search_params={"metric_type": "COSINE", "params": dense.search_params(20)})
        latencies.append((time.perf_counter() - begin) * 1000)
    values = np.asarray(latencies[1:])
    print(f"  hybrid + filter (2 legs), {len(values)} queries: p50 {np.percentile(values, 50):.1f} ms, "
          f"p95 {np.percentile(values, 95):.1f} ms")
    recalls, vector_ms = [], []
    for number, query in enumerate(rows.queries):
        begin = time.perf_counter()
        found = client.search("bench", data=[query.tolist()], anns_field="dense", limit=10, output_fields=["pk"],
                              search_params={"metric_type": "COSINE", "params": dense.search_params(10)})
        vector_ms.append((time.perf_counter() - begin) * 1000)
        got = {int(hit["id"][1:]) for hit in found[0]}
        recalls.append(len(got & set(rows.top_ids[number].tolist())) / 10)
    print(f"  dense leg alone, no filter, k=10: p50 {np.percentile(vector_ms, 50):.1f} ms; "
          f"recall@10 vs exact {np.mean(recalls):.3f} ({len(recalls)} queries)")
    current, peak = milvus_server_rss_mib()
    client_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  memory: Milvus Lite server {current:.0f} MiB now, {peak:.0f} MiB peak; this client {client_peak:.0f} MiB peak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000", help="comma-separated row counts to measure at, ascending")
    parser.add_argument("--rows", type=int, help="one size (the former option; same as --sizes N)")
    parser.add_argument("--batch", type=int, default=2000, help="rows per insert call")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--index", default="", help="dense index as index-URL query options, e.g. index=ivf_flat&nlist=1024")
    parser.add_argument("--index-after-load", action="store_true", help="build the dense index after inserting")
    parser.add_argument("--upsert-deletes", action="store_true", help="delete each batch's doc keys before inserting")
    parser.add_argument("--time-limit", type=float, default=0, help="seconds of inserting after which no larger size is started")
    parser.add_argument("--exact-from-engine", action="store_true",
                        help="compute the exact top 10 from every vector read back from the collection (slow; for a "
                             "continued --dir whose rows were made by another version of this script)")
    parser.add_argument("--dir", type=Path, help="directory for the Milvus Lite file (default a new temporary one)")
    args = parser.parse_args()
    sizes = [args.rows] if args.rows else [int(size) for size in args.sizes.split(",")]
    dense = parse_dense_index(args.index)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"pymilvus {version('pymilvus')}, milvus-lite {version('milvus-lite')}: batches of {args.batch}, "
          f"dense index {dense.describe()}{' built after loading' if args.index_after_load else ''}"
          f"{', delete before insert' if args.upsert_deletes else ''}")
    rows = Rows(np.random.default_rng(7))
    query_rng = np.random.default_rng(11)  # apart from the rows' draws, so a continued run makes the same rows
    directory = args.dir or Path(tempfile.mkdtemp(prefix="lite-bench-"))
    client = MilvusClient(str(directory / "bench.db"))
    inserted, insert_s, generate_s, delete_s = 0, 0.0, 0.0, 0.0
    if client.has_collection("bench"):  # a --dir of an earlier run: continue it
        client.load_collection("bench")
        inserted = int(client.query("bench", filter="", output_fields=["count(*)"])[0]["count(*)"])
        for first in range(0, inserted, args.batch):  # the same rows again, only to track the exact top 10
            rows.batch(first, min(args.batch, inserted - first))
        print(f"continuing the {inserted} rows in {directory} (their insert time is not counted)")
        inserted_before = inserted
    else:
        client.create_collection("bench", schema=schema(), index_params=index_params(client, None if args.index_after_load else dense),
                                 consistency_level="Strong")
        inserted_before = 0
    for size in sizes:
        spent = insert_s + generate_s + delete_s
        done = inserted - inserted_before
        if args.time_limit and done and spent + (size - inserted) * spent / done > args.time_limit:
            print(f"stopping before {size} rows: the time limit of {args.time_limit:.0f} s would be exceeded")
            break
        if args.index_after_load and inserted:
            client.release_collection("bench")  # bulk path: insert into the unloaded collection, load after
        while inserted < size:
            count = min(args.batch, size - inserted)
            begin = time.perf_counter()
            batch = rows.batch(inserted, count)
            generate_s += time.perf_counter() - begin
            if args.upsert_deletes:
                begin = time.perf_counter()
                client.delete("bench", filter=f"doc_key in {[row['doc_key'] for row in batch]!r}".replace("'", '"'))
                delete_s += time.perf_counter() - begin
            begin = time.perf_counter()
            client.insert("bench", batch)
            insert_s += time.perf_counter() - begin
            inserted += count
            print(f"\r  inserted {inserted} / {size}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        if not insert_s:
            print(f"{inserted} rows, none inserted by this run")
        line = f"{inserted} rows: insert {(inserted - inserted_before) / max(insert_s, 1e-9):.0f} rows/s ({insert_s:.1f} s in insert calls; {generate_s:.1f} s generating rows)"
        if args.upsert_deletes:
            line += f"; deletes {delete_s:.1f} s, {(inserted - inserted_before) / (insert_s + delete_s):.0f} rows/s with them"
        if insert_s:
            print(line)
        if args.index_after_load and not client.list_indexes("bench", field_name="dense"):
            begin = time.perf_counter()
            client.create_index("bench", index_params(client, dense, sparse=False))
            print(f"  dense index built after loading in {time.perf_counter() - begin:.1f} s")
        begin = time.perf_counter()
        client.load_collection("bench")
        print(f"  load: {time.perf_counter() - begin:.1f} s")
        if args.exact_from_engine:
            rows.exact_from(client)
        measure(client, rows, dense, args.queries, query_rng)
    client.close()


if __name__ == "__main__":
    main()
