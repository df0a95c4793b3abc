"""Milvus Lite versions compared on the index's own schema: insert rate and hybrid search with a
metadata filter (BM25 leg + dense leg, the two calls `MilvusIndex.search` makes).

    python bench/bench_milvus_lite.py [--rows 20000] [--batch 200] [--queries 100]

Needs only pymilvus, milvus-lite and numpy, so it runs in a scratch environment per version:
    python -m venv /tmp/lite25 && /tmp/lite25/bin/pip install milvus-lite==2.5.1 'pymilvus>=2.5,<2.6' numpy
    /tmp/lite25/bin/python bench/bench_milvus_lite.py
Rows are synthetic (Zipf words, 384-dimension random unit vectors, the same filter fields as
`restsync.kb.index.milvus_filters`), so the figures isolate the engine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from importlib.metadata import version

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient

DIMENSION = 384
FILTERS = [
    'json_contains(filters["keys"], "category") and (json_contains_any(filters["text"]["category"], ["cat3"]))',
    'json_contains(filters["keys"], "stars") and filters["num_hi"]["stars"] >= 500',
    'json_contains(filters["keys"], "tags") and (json_contains_any(filters["text"]["tags"], ["tag7", "tag8"]))',
]


def schema() -> tuple:
    fields = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    fields.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=64)
    fields.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params={"tokenizer": "standard", "filter": ["lowercase"]})
    fields.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    fields.add_field("dense", DataType.FLOAT_VECTOR, dim=DIMENSION)
    fields.add_field("filters", DataType.JSON)
    fields.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]))
    indexes = MilvusClient.prepare_index_params()
    indexes.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    indexes.add_index(field_name="dense", index_type="FLAT", metric_type="COSINE")
    return fields, indexes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    print(f"pymilvus {version('pymilvus')}, milvus-lite {version('milvus-lite')}: {args.rows} rows, batches of {args.batch}")
    rng = np.random.default_rng(7)
    words = [f"w{n}" for n in range(20_000)]
    zipf = 1.0 / np.arange(1, len(words) + 1) ** 1.05
    zipf /= zipf.sum()
    directory = tempfile.mkdtemp(prefix="lite-bench-")
    client = MilvusClient(f"{directory}/bench.db")
    fields, indexes = schema()
    client.create_collection("bench", schema=fields, index_params=indexes, consistency_level="Strong")
    start = time.perf_counter()
    for first in range(0, args.rows, args.batch):
        count = min(args.batch, args.rows - first)
        picks = rng.choice(len(words), size=(count, 60), p=zipf)
        vectors = rng.standard_normal((count, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = []
        for offset in range(count):
            tags = [f"tag{int(t)}" for t in rng.choice(50, size=3, replace=False)]
            category = f"cat{int(rng.integers(0, 20))}"
            rows.append({
                "pk": f"r{first + offset}", "text": " ".join(words[i] for i in picks[offset]), "dense": vectors[offset].tolist(),
                "filters": {"keys": ["category", "stars", "tags"], "text": {"category": [category], "tags": tags},
                            "num_hi": {"stars": int(rng.integers(0, 1000))}},
            })
        client.insert("bench", rows)
    seconds = time.perf_counter() - start
    print(f"insert: {args.rows / seconds:.0f} rows/s ({seconds:.1f} s)")
    client.load_collection("bench")
    latencies = []
    for number in range(args.queries):
        text = " ".join(rng.choice(words[50:3000], size=4))
        vector = rng.standard_normal(DIMENSION).astype(np.float32)
        vector /= np.linalg.norm(vector)
        condition = FILTERS[number % len(FILTERS)]
        begin = time.perf_counter()
        client.search("bench", data=[text], anns_field="sparse", limit=80, filter=condition,
                      output_fields=["pk", "dense"], search_params={"metric_type": "BM25"})
        client.search("bench", data=[vector.tolist()], anns_field="dense", limit=20, filter=condition,
                      output_fields=["pk"], search_params={"metric_type": "COSINE"})
        latencies.append((time.perf_counter() - begin) * 1000)
    values = np.asarray(latencies[1:])
    print(f"hybrid + filter (2 legs), {len(values)} queries: p50 {np.percentile(values, 50):.1f} ms, p95 {np.percentile(values, 95):.1f} ms")
    client.close()


if __name__ == "__main__":
    main()
