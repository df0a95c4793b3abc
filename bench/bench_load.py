"""Load and soak: searches from a second process while syncs run, and memory over many sync rounds.

    .venv/bin/python bench/bench_load.py [--items 2000] [--rounds 10] [--json]

A local API (bench/apiserver.py) serves `--items` items. The knowledge base is first filled by one
sync; then a searcher process runs hybrid searches (k=10, a metadata filter on every other one)
in a loop while this process runs `--rounds` sync rounds: each adds a source of `--items`
documents (stored, chunked, embedded, committed), re-syncs the first source in full (a listing
with nothing changed) and deletes the added source again, so the knowledge base returns to its
size and any growth in memory is a leak. Reported: search latency p50/p95/p99 and errors seen by
the searcher while writes were under way, and this process's RSS after each round.
Embeddings come from the hashing embedder: the figures are about storage and concurrency, not the model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

QUERIES = ["lorem ipsum article", "Article 17", "dolor sit amet tempor", "consectetur item", "author tags"]
FILTERS = [None, "author.name=Author 3", None, "updated_at>=2025-06-01", None]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def searcher(kb_dir: str, stop_file: str) -> int:
    """The second process: search until the stop file appears; print latencies and errors as JSON."""
    from restsync.kb import KnowledgeBase

    latencies: list[float] = []
    errors: list[str] = []
    kb = KnowledgeBase.open(kb_dir, read_only=True)
    n = 0
    ready = Path(stop_file).with_name("ready")
    while not os.path.exists(stop_file):
        query, where = QUERIES[n % len(QUERIES)], FILTERS[n % len(FILTERS)]
        started = time.perf_counter()
        try:
            kb.search(query, k=10, filters=[where] if where else None)
        except Exception as error:  # noqa: BLE001 - every failure is a figure
            errors.append(f"{type(error).__name__}: {error}"[:200])
        latencies.append((time.perf_counter() - started) * 1000)
        n += 1
        if n == 1:
            ready.touch()  # the syncs start now, so every round runs under searches
    kb.close()
    print(json.dumps({"searches": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
                      "p50_ms": round(percentile(latencies, 0.50), 2), "p95_ms": round(percentile(latencies, 0.95), 2),
                      "p99_ms": round(percentile(latencies, 0.99), 2), "max_ms": round(max(latencies, default=0), 2)}))
    return 0


def _wait_for_searcher(child: subprocess.Popen, ready: Path, limit_s: float = 120.0) -> None:
    """Until the searcher has answered its first search: its start-up (imports, opening the
    knowledge base) can take longer than a small load's syncs."""
    deadline = time.monotonic() + limit_s
    while not ready.exists():
        if child.poll() is not None:
            raise RuntimeError(f"the searcher exited before its first search (status {child.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError("the searcher did not answer a first search in time")
        time.sleep(0.05)


def config(base: str, source_id: str) -> dict:
    return {"url": f"{base}/page", "items_path": "$.items", "id_field": "id", "title_field": "title",
            "content_fields": ["title", "body"], "metadata_fields": ["author.name", "tags[*].name"],
            "poll_timestamp_field": "updated_at", "pagination_type": "page", "source_id": source_id, "batch_size": 100,
            "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 100,
                                  "total_path": "$.total"}}


def run(items: int, rounds: int, workdir: Path) -> dict:
    from apiserver import serve

    from restsync.kb import KBSettings, KnowledgeBase
    from restsync.sync import sync_source

    server = serve(items, 0.0)
    base = server.url
    kb_dir, stop_file = workdir / "kb", workdir / "stop"
    kb = KnowledgeBase.open(kb_dir, settings=KBSettings(embedder="hashing-384"))
    sync_source(kb, "main", config(base, "main"), allow_private=True)
    child = subprocess.Popen([sys.executable, __file__, "--searcher", str(kb_dir), str(stop_file)],
                             stdout=subprocess.PIPE, text=True)
    _wait_for_searcher(child, workdir / "ready")
    memory: list[float] = []
    statuses: list[str] = []
    started = time.perf_counter()
    try:
        for round_number in range(rounds):
            added = sync_source(kb, "extra", config(base, f"extra-{round_number}"), allow_private=True)
            again = sync_source(kb, "main", config(base, "main"), full=True, allow_private=True)
            kb.delete_source("extra")
            statuses += [added.status, again.status]
            memory.append(round(rss_mb(), 1))
    finally:
        stop_file.touch()
        out, _ = child.communicate(timeout=120)
        server.stop()
        kb.close()
    searches = json.loads(out.strip().splitlines()[-1])
    warm = memory[min(1, len(memory) - 1)]
    return {
        "items": items, "rounds": rounds, "elapsed_s": round(time.perf_counter() - started, 1),
        "sync_statuses": sorted(set(statuses)), "search": searches,
        "rss_mb_per_round": memory, "rss_growth_after_round_2_mb": round(memory[-1] - warm, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--searcher", nargs=2, metavar=("KB", "STOP_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.searcher:
        return searcher(*args.searcher)
    with tempfile.TemporaryDirectory(prefix="restsync-load-") as workdir:
        result = run(args.items, args.rounds, Path(workdir))
    if args.json:
        print(json.dumps(result))
        return 0
    search = result["search"]
    print(f"{result['rounds']} rounds of {result['items']} items in {result['elapsed_s']} s; syncs: {result['sync_statuses']}")
    print(f"searches during syncs: {search['searches']}, errors {search['errors']} {search['error_kinds']}")
    print(f"search latency ms: p50 {search['p50_ms']}, p95 {search['p95_ms']}, p99 {search['p99_ms']}, max {search['max_ms']}")
    print(f"RSS MB per round: {result['rss_mb_per_round']} (growth after round 2: {result['rss_growth_after_round_2_mb']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
