"""Whole-process throughput with RAGFlow-style configs: `restsync fetch` against a bare loop, and,
in the same rounds, RAGFlow's REST API connector and dlt's REST API source when pointed at.

    .venv/bin/python bench/bench_process.py             # the table, 5 interleaved runs (~4 minutes)
    .venv/bin/python bench/bench_process.py --quick     # 2 runs, no 200k row
    bench/setup_baselines.sh                            # once: venvs for the two baselines below
    .venv/bin/python bench/bench_process.py --ragflow-src RAGFLOW_CHECKOUT --dlt-python bench/.baselines/dlt/bin/python
    .venv/bin/python bench/bench_process.py --latency 0 --only page --baseline-src OTHER/src   # before/after
    .venv/bin/python bench/bench_process.py --only cursor --client-floors   # bare loops on lighter HTTP layers too

The mock (bench/apiserver.py --no-totals, its own process) states no total anywhere, and the
configs carry their page size in the URL's query, as RAGFlow configs do: restsync must find the
end of the data from the pages themselves. Each run is a fresh process (interpreter start, imports,
the walk, mapping with HTML stripping, JSON lines written): `restsync fetch CONFIG --out FILE`,
and beside it, on the same server in the same round, `bench/bare_loop.py` (httpx + the fastest JSON
parser installed + ids written, nothing mapped). With `--ragflow-src`, `bench/ragflow_fetch.py`
runs RAGFlow's connector module from that checkout on the very same config file (interpreter:
`--ragflow-python`, by default bench/.baselines/ragflow); with `--dlt-python`, `bench/dlt_fetch.py`
runs dlt's REST API source over the same endpoints. Every run's output is counted: each must
write one line per item. Runs of every scenario alternate; the table shows medians, and each
run's CPU seconds (user + system) are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
DEFAULT_RAGFLOW_PYTHON = HERE / ".baselines" / "ragflow" / "bin" / "python"
KINDS = ("restsync", "bare", "ragflow", "dlt", "baseline", "bare-stdlib", "bare-socket")
LIGHTER_CLIENTS = ("stdlib", "socket")  # bare loops with less HTTP machinery than httpx (--client-floors)


def ragflow_style_config(base_url: str, style: str, items: int) -> dict:
    """No total configured; the page size rides in the URL's own query. `limit_param` names it for
    offset walks: RAGFlow's connector otherwise steps the offset by its batch size (2), not 100.
    `request_delay: 0` because RAGFlow pauses 0.5 s between pages by default (restsync does not)."""
    if style == "page":
        url, pagination = "/page?per_page=100", {"page_param": "page"}
    elif style == "offset":
        url, pagination = "/offset?limit=100", {"offset_param": "offset", "limit_param": "limit"}
    else:
        url, pagination = "/cursor?limit=100", {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"}
    return {
        "url": base_url + url, "items_path": "$.items", "pagination_type": style,
        "pagination_config": pagination, "id_field": "id", "content_fields": ["title", "body"],
        "metadata_fields": ["author.name", "tags[*].name"], "poll_timestamp_field": "updated_at",
        "max_pages": items // 100 + 10, "request_delay": 0,
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


CPU: dict[str, list[float]] = {}  # "kind/scenario" -> CPU seconds (user + system) of each run


def timed(command: list[str], env: dict, cpu_key: str | None = None) -> float:
    """Wall seconds of one run; its CPU seconds (less disturbed by other work on a shared machine
    than the wall clock) go to CPU[cpu_key]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu_key:
        CPU.setdefault(cpu_key, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def precompile() -> None:
    """Write restsync's bytecode first, as installing a wheel does: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module in every measured process (about
    half the start-up), which httpx and msgspec, installed with their bytecode, never pay."""
    import restsync

    package = Path(restsync.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, stdout=subprocess.DEVNULL)


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--only", help="comma-separated styles to run (page, offset, cursor)")
    parser.add_argument("--latency", type=int, help="run only the scenarios at this latency (ms)")
    parser.add_argument("--items", type=int, help="run only the scenarios with this many items")
    parser.add_argument("--baseline-src", type=Path,
                        help="another checkout's src/ folder: its `restsync fetch` runs in the same rounds, "
                             "for before/after figures from one run")
    parser.add_argument("--ragflow-src", type=Path,
                        help="a RAGFlow checkout: its REST API connector runs in the same rounds, same config")
    parser.add_argument("--ragflow-python", type=Path, default=DEFAULT_RAGFLOW_PYTHON,
                        help="interpreter with the connector's imports (bench/setup_baselines.sh)")
    parser.add_argument("--client-floors", action="store_true",
                        help="also run the bare loop on http.client and on a hand-written socket client: "
                             "how much of a walk's time is the HTTP library's")
    parser.add_argument("--dlt-python", type=Path,
                        help="interpreter of a venv with dlt (bench/setup_baselines.sh): dlt's REST API source "
                             "runs in the same rounds")
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    scenarios = [s for s in SCENARIOS if not (args.quick and s[2] > 20_000)
                 and (not args.only or s[0] in args.only.split(","))
                 and (args.latency is None or s[1] == args.latency)
                 and (args.items is None or s[2] == args.items)]
    env = {**os.environ, "RESTSYNC_ALLOW_PRIVATE": "1"}
    precompile()
    baseline = None
    if args.baseline_src:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.baseline_src / "restsync")], check=True,
                       stdout=subprocess.DEVNULL)
        baseline = {**env, "PYTHONPATH": str(args.baseline_src.resolve())}
    if args.ragflow_src:
        if not args.ragflow_python.exists():
            parser.error(f"{args.ragflow_python} not found: run bench/setup_baselines.sh or pass --ragflow-python")
        # Bytecode first, as for restsync: an installed RAGFlow has it.
        subprocess.run([str(args.ragflow_python), "-m", "compileall", "-q", str(args.ragflow_src / "common"),
                        str(args.ragflow_src / "api" / "utils")], check=False, stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="restsync-bench-"))
    servers = {key: ApiProcess(key[1], key[0]) for key in {(s[1], s[2]) for s in scenarios}}
    times: dict[tuple, dict[str, list[float]]] = {s: {kind: [] for kind in KINDS} for s in scenarios}

    def measure(kind: str, scenario: tuple, command: list[str], run_env: dict, out: Path) -> None:
        times[scenario][kind].append(timed(command, run_env, f"{kind}/{scenario}"))
        lines = count_lines(out)
        assert lines == scenario[2], (kind, scenario, lines)

    try:
        for round_ in range(repeats):
            for scenario in scenarios:
                style, latency, items = scenario
                server = servers[(latency, items)]
                config = work / f"{style}-{latency}-{items}.json"
                config.write_text(json.dumps(ragflow_style_config(server.url, style, items)))
                out = work / "out.jsonl"
                measure("restsync", scenario, [RESTSYNC, "fetch", str(config), "--out", str(out), "--quiet"], env, out)
                if baseline is not None:
                    measure("baseline", scenario,
                            [sys.executable, "-c", "import sys; from restsync.cli.main import main; sys.exit(main())",
                             "fetch", str(config), "--out", str(out), "--quiet"], baseline, out)
                if args.ragflow_src:
                    measure("ragflow", scenario, [str(args.ragflow_python), str(HERE / "ragflow_fetch.py"),
                                                  str(args.ragflow_src.resolve()), str(config), str(out)], env, out)
                if args.dlt_python:
                    measure("dlt", scenario, [str(args.dlt_python), str(HERE / "dlt_fetch.py"), server.url, style,
                                              str(out)], env, out)
                measure("bare", scenario, [sys.executable, str(HERE / "bare_loop.py"), server.url, style, str(out)],
                        env, out)
                for client in LIGHTER_CLIENTS if args.client_floors else ():
                    measure(f"bare-{client}", scenario, [sys.executable, str(HERE / "bare_loop.py"), server.url, style,
                                                         str(out), client], env, out)
            print(f"round {round_ + 1}/{repeats} done", file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.close()

    def rate(kind: str, scenario: tuple) -> float | None:
        runs = times.get(scenario, {}).get(kind)
        return scenario[2] / statistics.median(runs) if runs else None

    def cpu(kind: str, scenario: tuple) -> float | None:
        runs = CPU.get(f"{kind}/{scenario}")
        return statistics.median(runs) if runs else None

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None else f"{a / b:.2f}x"

    print(f"{repeats} rounds, medians; docs/s = items / whole-process wall time")
    print("| scenario | restsync docs/s | bare loop | restsync / bare | RAGFlow | restsync / RAGFlow | "
          "dlt extract | restsync / dlt |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario in scenarios:
        style, latency, items = scenario
        ours, bare, rag, dlt = (rate(kind, scenario) for kind in ("restsync", "bare", "ragflow", "dlt"))
        print(f"| {style}, {latency} ms, {items:,} items | {cell(ours, ',.0f')} | {cell(bare, ',.0f')} | "
              f"{ratio(ours, bare)} | {cell(rag, ',.0f')} | {ratio(ours, rag)} | {cell(dlt, ',.0f')} | "
              f"{ratio(ours, dlt)} |")
    print("\nCPU seconds per run (user + system, median)")
    print("| scenario | restsync | bare loop | RAGFlow | dlt | RAGFlow / restsync | dlt / restsync |")
    print("|---|---|---|---|---|---|---|")
    for scenario in scenarios:
        style, latency, items = scenario
        ours, bare, rag, dlt = (cpu(kind, scenario) for kind in ("restsync", "bare", "ragflow", "dlt"))
        print(f"| {style}, {latency} ms, {items:,} items | {cell(ours, '.3f')} | {cell(bare, '.3f')} | "
              f"{cell(rag, '.3f')} | {cell(dlt, '.3f')} | {ratio(rag, ours)} | {ratio(dlt, ours)} |")
    if args.client_floors:
        print("\n| scenario | restsync docs/s | bare loop, httpx | bare loop, http.client | bare loop, socket |")
        print("|---|---|---|---|---|")
        for scenario in scenarios:
            style, latency, items = scenario
            rates = [rate(kind, scenario) for kind in ("restsync", "bare", "bare-stdlib", "bare-socket")]
            print(f"| {style}, {latency} ms, {items:,} items | " + " | ".join(cell(r, ',.0f') for r in rates) + " |")
    if baseline is not None:
        print("\n| scenario | baseline docs/s | restsync docs/s | baseline time / restsync time | "
              "CPU s baseline | CPU s restsync |")
        print("|---|---|---|---|---|---|")
        for scenario in scenarios:
            style, latency, items = scenario
            before, after = rate("baseline", scenario), rate("restsync", scenario)
            print(f"| {style}, {latency} ms, {items:,} items | {before:,.0f} | {after:,.0f} | {after / before:.2f}x | "
                  f"{cpu('baseline', scenario):.3f} | {cpu('restsync', scenario):.3f} |")
    print("\nfloors:")
    for style in ("page", "offset"):
        zero, twenty = rate("restsync", (style, 0, 20_000)), rate("restsync", (style, 20, 20_000))
        if zero and twenty:
            print(f"  {style}: 20 ms / 0 ms whole-process time: {zero / twenty:.2f}x (floor <= 1.3)")
    cursor = times.get(("cursor", 20, 20_000))
    if cursor:
        ideal = 20_000 / 100 * 0.020
        ours, bare = statistics.median(cursor["restsync"]), statistics.median(cursor["bare"])
        print(f"  cursor @20 ms / (200 pages x 20 ms): {ours / ideal:.2f}x (floor <= 1.15); "
              f"bare loop {bare / ideal:.2f}x; restsync / bare loop {ours / bare:.2f}x")
        for client in LIGHTER_CLIENTS:
            if cursor[f"bare-{client}"]:
                print(f"    bare loop on {client}: {statistics.median(cursor[f'bare-{client}']) / ideal:.2f}x")
    page0 = ("page", 0, 20_000)
    if page0 in times:
        ours, rag, dlt = rate("restsync", page0), rate("ragflow", page0), rate("dlt", page0)
        if rag:
            print(f"  page @0 ms: {ours / rag:.2f}x RAGFlow's docs/s (floor >= 2.5), "
                  f"{cpu('ragflow', page0) / cpu('restsync', page0):.2f}x in CPU seconds")
        if dlt:
            print(f"  page @0 ms: {ours / dlt:.2f}x dlt's docs/s (floor >= 1.5), "
                  f"{cpu('dlt', page0) / cpu('restsync', page0):.2f}x in CPU seconds")


if __name__ == "__main__":
    main()
