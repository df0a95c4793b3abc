"""Connector throughput and memory against a local API (bench/apiserver.py in its own process).

    .venv/bin/python bench/bench_connector.py                 # the full table (a few minutes)
    .venv/bin/python bench/bench_connector.py --quick         # fewer repeats, smaller sources

Each measurement runs in a fresh child process (so peak RSS is the walk's own) and is repeated;
runs at 0 and 20 ms alternate, and the table shows medians. Items are ~1 KB, 100 per page; documents are mapped (HTML stripped,
metadata typed, timestamps parsed) and counted, the way `fetch` consumes them, minus the file write.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STYLES = {
    "page": {"path": "/page", "pagination_type": "page",
             "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 100,
                                   "total_path": "$.total"}},
    "offset": {"path": "/offset", "pagination_type": "offset",
               "pagination_config": {"offset_param": "offset", "limit_param": "limit", "limit": 100,
                                     "total_path": "$.total"}},
    "cursor": {"path": "/cursor", "pagination_type": "cursor", "query_params": {"limit": "100"},
               "pagination_config": {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"}},
    "next_url": {"path": "/next", "pagination_type": "next_url", "query_params": {"limit": "100"},
                 "pagination_config": {"next_url_path": "$.links.next"}},
    "link_header": {"path": "/link", "pagination_type": "link_header", "query_params": {"per_page": "100"}},
}


def source_config(base_url: str, style: str, concurrency: int) -> dict:
    spec = dict(STYLES[style])
    config = {
        "url": base_url + spec.pop("path"),
        "items_path": None if style == "link_header" else "$.items",
        "id_field": "id",
        "content_fields": ["title", "body"],
        "metadata_fields": ["author.name", "tags[*].name"],
        "poll_timestamp_field": "updated_at",
        "link_field": "url",
        "batch_size": 100,
        "request_delay": 0,
        "max_pages": 100_000,
        "concurrency": concurrency,
    }
    config.update(spec)
    return {k: v for k, v in config.items() if v is not None}


def run_one(base_url: str, style: str, concurrency: int) -> dict:
    """The child process: one walk, timed, with its peak RSS."""
    from restsync.connector import RestApiConnector

    connector = RestApiConnector(source_config(base_url, style, concurrency), allow_private=True)
    started = time.perf_counter()
    count = sum(1 for _ in connector.iter_documents())
    elapsed = time.perf_counter() - started
    connector.close()
    return {
        "docs": count,
        "seconds": elapsed,
        "docs_per_s": count / elapsed,
        "pages": connector.report.pages,
        "complete": connector.report.complete,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def raw_cursor_walk(base_url: str) -> dict:
    """The same cursor walk with bare httpx and json, nothing mapped: what any client pays this server."""
    import httpx

    started = time.perf_counter()
    cursor, pages = "0", 0
    with httpx.Client() as client:
        while cursor is not None:
            cursor = json.loads(client.get(base_url + "/cursor", params={"cursor": cursor, "limit": 100}).content)["next_cursor"]
            pages += 1
    return {"seconds": time.perf_counter() - started, "pages": pages}


def measure_raw(items: int, latency_ms: float, repeats: int) -> float:
    server = ApiProcess(items, latency_ms)
    try:
        return statistics.median(raw_cursor_walk(server.url)["seconds"] for _ in range(repeats))
    finally:
        server.close()


class ApiProcess:
    """bench/apiserver.py in its own process, so serving pages does not compete for our GIL."""

    def __init__(self, items: int, latency_ms: float):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "apiserver.py"), "--items", str(items), "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE, text=True,
        )
        self.url = self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


def walk_in_child(url: str, style: str, concurrency: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", url, style, str(concurrency)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def summarise(runs: list[dict], items: int, latency_ms: float, style: str, concurrency: int) -> dict:
    assert all(r["docs"] == items and r["complete"] for r in runs), runs
    return {
        "items": items, "latency_ms": latency_ms, "style": style, "concurrency": concurrency,
        "pages": runs[0]["pages"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "docs_per_s": statistics.median(r["docs_per_s"] for r in runs),
        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
    }


def measure_latencies(items: int, latencies: tuple[float, ...], style: str, concurrency: int, repeats: int) -> list[dict]:
    """Runs at each latency alternate, so a noisy minute on a shared machine hits all of them alike."""
    servers = [ApiProcess(items, latency) for latency in latencies]
    try:
        runs: list[list[dict]] = [[] for _ in latencies]
        for _ in range(repeats):
            for index, server in enumerate(servers):
                runs[index].append(walk_in_child(server.url, style, concurrency))
    finally:
        for server in servers:
            server.close()
    return [summarise(r, items, latency, style, concurrency) for r, latency in zip(runs, latencies)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("URL", "STYLE", "CONCURRENCY"))
    args = parser.parse_args()
    if args.child:
        url, style, concurrency = args.child
        print(json.dumps(run_one(url, style, int(concurrency))))
        return

    repeats = 1 if args.quick else 5
    items = 5_000 if args.quick else 20_000
    rows = []
    for style in STYLES:
        for concurrency in (1, 8):
            for row in measure_latencies(items, (0, 20), style, concurrency, repeats):
                rows.append(row)
                print(f"{style:12} latency {row['latency_ms']:>2} ms  concurrency {concurrency}  "
                      f"{row['docs_per_s']:>9,.0f} docs/s  {row['seconds']:.2f} s  ({row['pages']} pages)", flush=True)
    big = 200_000 if not args.quick else 50_000
    memory = [measure_latencies(n, (0,), "page", 8, min(repeats, 3))[0] for n in (items, big)]
    for row in memory:
        print(f"peak RSS at {row['items']:>7,} items: {row['peak_rss_mb']:.1f} MB", flush=True)

    raw = measure_raw(items, 20, repeats)
    print(f"bare httpx cursor walk @20 ms (no mapping): {raw:.2f} s", flush=True)

    by = {(r["style"], r["latency_ms"], r["concurrency"]): r for r in rows}
    print("\nfloors:")
    page0 = by[("page", 0, 8)]
    print(f"  page @0 ms: {page0['docs_per_s']:,.0f} docs/s (floor 20,000)")
    for style in ("page", "offset"):
        ratio = by[(style, 20, 8)]["seconds"] / by[(style, 0, 8)]["seconds"]
        print(f"  {style} @20 ms / @0 ms: {ratio:.2f}x (floor <= 1.3)")
    cursor = by[("cursor", 20, 8)]
    ideal = cursor["pages"] * 0.020
    print(f"  cursor @20 ms / (pages x latency): {cursor['seconds'] / ideal:.2f}x (floor <= 1.3)")
    print(f"  cursor @20 ms / bare httpx walk of the same server: {cursor['seconds'] / raw:.2f}x")
    print(f"  RSS {big:,} / {items:,} items: {memory[1]['peak_rss_mb'] / memory[0]['peak_rss_mb']:.2f}x (floor <= 1.15)")


if __name__ == "__main__":
    main()
