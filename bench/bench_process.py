"""Whole-process throughput with RAGFlow-style configs: `restsync fetch` against a bare loop.

    .venv/bin/python bench/bench_process.py             # the table, 5 interleaved runs (~4 minutes)
    .venv/bin/python bench/bench_process.py --quick     # 2 runs, no 200k row

The mock (bench/apiserver.py --no-totals, its own process) states no total anywhere, and the
configs carry their page size in the URL's query, as RAGFlow configs do: restsync must find the
end of the data from the pages themselves. Each run is a fresh process (interpreter start, imports,
the walk, mapping with HTML stripping, JSON lines written): `restsync fetch CONFIG --out FILE`,
and beside it, on the same server in the same round, `bench/bare_loop.py` (httpx + the fastest JSON
parser installed + ids written, nothing mapped). Runs of every scenario alternate; the table shows
medians. The RAGFlow and dlt figures are the ones measured on this kind of machine for the issue
that set these floors (same mock semantics), not measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESTSYNC = str(Path(sys.executable).with_name("restsync"))

# (style, latency ms, items): the rows of the table to reproduce.
SCENARIOS = [("page", 0, 20_000), ("page", 20, 20_000), ("offset", 0, 20_000), ("offset", 20, 20_000),
             ("cursor", 0, 20_000), ("cursor", 20, 20_000), ("page", 0, 200_000)]
# docs/s measured for the issue, whole process, same mock: RAGFlow's connector and dlt's extract loop.
RAGFLOW = {("page", 0, 20_000): 9_863, ("page", 20, 20_000): 3_139, ("offset", 20, 20_000): 2_578,
           ("cursor", 0, 20_000): 10_083, ("cursor", 20, 20_000): 3_157, ("page", 0, 200_000): 11_656}
DLT = {("page", 0, 20_000): 17_486, ("page", 20, 20_000): 3_704, ("page", 0, 200_000): 26_624}


def ragflow_style_config(base_url: str, style: str, items: int) -> dict:
    """No total configured; the page size rides in the URL's own query."""
    if style == "page":
        url, pagination = "/page?per_page=100", {"page_param": "page"}
    elif style == "offset":
        url, pagination = "/offset?limit=100", {"offset_param": "offset"}
    else:
        url, pagination = "/cursor?limit=100", {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"}
    return {
        "url": base_url + url, "items_path": "$.items", "pagination_type": style,
        "pagination_config": pagination, "id_field": "id", "content_fields": ["title", "body"],
        "metadata_fields": ["author.name", "tags[*].name"], "poll_timestamp_field": "updated_at",
        "max_pages": items // 100 + 10,
    }


class ApiProcess:
    def __init__(self, items: int, latency_ms: float):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "apiserver.py"), "--items", str(items), "--latency-ms", str(latency_ms),
             "--no-totals"], stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - started


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    scenarios = [s for s in SCENARIOS if not (args.quick and s[2] > 20_000)]
    env = {**os.environ, "RESTSYNC_ALLOW_PRIVATE": "1"}
    work = Path(tempfile.mkdtemp(prefix="restsync-bench-"))
    servers = {key: ApiProcess(key[1], key[0]) for key in {(s[1], s[2]) for s in scenarios}}
    times: dict[tuple, dict[str, list[float]]] = {s: {"restsync": [], "bare": []} for s in scenarios}
    try:
        for round_ in range(repeats):
            for scenario in scenarios:
                style, latency, items = scenario
                server = servers[(latency, items)]
                config = work / f"{style}-{latency}-{items}.json"
                config.write_text(json.dumps(ragflow_style_config(server.url, style, items)))
                out = work / "out.jsonl"
                times[scenario]["restsync"].append(
                    timed([RESTSYNC, "fetch", str(config), "--out", str(out), "--quiet"], env))
                assert count_lines(out) == items, (scenario, count_lines(out))
                ids = work / "ids.txt"
                times[scenario]["bare"].append(
                    timed([sys.executable, str(HERE / "bare_loop.py"), server.url, style, str(ids)], env))
                assert count_lines(ids) == items
            print(f"round {round_ + 1}/{repeats} done", file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.close()

    print("| scenario | restsync docs/s | bare loop docs/s | restsync / bare | RAGFlow docs/s (issue) | "
          "restsync / RAGFlow | dlt extract (issue) | restsync / dlt |")
    print("|---|---|---|---|---|---|---|---|")
    medians = {}
    for scenario in scenarios:
        style, latency, items = scenario
        ours = statistics.median(times[scenario]["restsync"])
        bare = statistics.median(times[scenario]["bare"])
        medians[scenario] = ours
        rag, dlt = RAGFLOW.get(scenario), DLT.get(scenario)
        ours_rate = items / ours
        print(f"| {style}, {latency} ms, {items:,} items | {ours_rate:,.0f} | {items / bare:,.0f} | "
              f"{bare / ours:.2f} | {f'{rag:,}' if rag else '-'} | {f'{ours_rate / rag:.2f}x' if rag else '-'} | "
              f"{f'{dlt:,}' if dlt else '-'} | {f'{ours_rate / dlt:.2f}x' if dlt else '-'} |")
    print("\nfloors:")
    for style in ("page", "offset"):
        zero, twenty = medians.get((style, 0, 20_000)), medians.get((style, 20, 20_000))
        if zero and twenty:
            print(f"  {style}: 20 ms / 0 ms whole-process time: {twenty / zero:.2f}x (floor <= 1.3)")
    cursor = medians.get(("cursor", 20, 20_000))
    if cursor:
        ideal = 20_000 / 100 * 0.020
        print(f"  cursor @20 ms / (200 pages x 20 ms): {cursor / ideal:.2f}x (floor <= 1.15)")
    page0 = medians.get(("page", 0, 20_000))
    if page0:
        rate = 20_000 / page0
        print(f"  page @0 ms: {rate / RAGFLOW[('page', 0, 20_000)]:.2f}x RAGFlow (floor >= 2.5), "
              f"{rate / DLT[('page', 0, 20_000)]:.2f}x dlt (floor >= 1.5)")


if __name__ == "__main__":
    main()
