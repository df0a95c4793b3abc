"""Server benchmark: the retrieval endpoint over loopback HTTP against the library call, and the
server's memory at rest and during a sync.

    .venv/bin/python bench/bench_server.py [--chunks 100000] [--queries 200] [--sync-items 5000] [--dir DIR]

Builds (or reuses, with --dir) a data directory whose dataset holds `--chunks` one-chunk documents
(the same synthetic corpus as bench_search.py, hashing embedder), starts `restsync serve` on it in
a subprocess, then times each query both ways, alternating, so machine noise hits both sides:
`POST /api/v1/retrieval` (k=10, one metadata filter, keep-alive connection) and `kb.search` in this
process on the same knowledge base. Then it registers bench/apiserver.py's /page endpoint as a
source of a second dataset and samples the server's RSS while that sync runs.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from apiserver import serve as serve_api  # noqa: E402
from bench_search import DIMENSION, build, percentile, vocabulary  # noqa: E402

from restsync.kb import parse_filter  # noqa: E402
from restsync.service import Service, ServiceSettings  # noqa: E402

FILTERS = [("category", "is", "cat3"), ("updated", "≥", "2020-01-01"), ("tags", "in", "tag7,tag8")]
KB_FILTERS = ["category=cat3", "updated>=2020-01-01", "tags in tag7,tag8"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(data_dir: Path, chunks: int, words: list[str], rng: np.random.Generator) -> tuple[str, str]:
    service = Service(ServiceSettings(data_dir=data_dir, scheduler=False, resume=False))
    try:
        row = service.datasets.find_by_name("bench")
        dataset_id = row.id if row else service.create_dataset(
            name="bench", embedding_model=f"hashing-{DIMENSION}", chunk_token_num=256)["id"]
        kb = service.datasets.open(dataset_id)
        if kb.count_chunks() < chunks:
            seconds = build(kb, chunks - kb.count_chunks(), words, rng)
            print(f"build: {chunks} chunks in {seconds:.1f} s (hashing embedder)")
        print(f"dataset: {kb.count_documents()} documents, {kb.count_chunks()} chunks")
        _, token = service.tokens.create("bench")
        return dataset_id, token
    finally:
        service.close()


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "restsync", "serve", "--data-dir", str(data_dir), "--port", "0", "--allow-private",
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = None
    for line in process.stdout:
        if "restsync server at" in line:
            break
    # --port 0: read the bound port from the socket table of the process
    deadline = time.monotonic() + 60
    while url is None and time.monotonic() < deadline:
        url = _listening_url(process.pid)
        time.sleep(0.05)
    if url is None:
        process.kill()
        raise SystemExit("the server did not start")
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # drain its output
    return process, url


def _listening_url(pid: int) -> str | None:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            return f"http://127.0.0.1:{int(fields[1].split(':')[1], 16)}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sync-items", type=int, default=5000)
    parser.add_argument("--dir", type=Path, help="data directory to build or reuse")
    args = parser.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))

    rng = np.random.default_rng(7)
    words = vocabulary(20_000, rng)
    data_dir = args.dir or Path(tempfile.mkdtemp(prefix="server-bench-"))
    dataset_id, token = prepare(data_dir, args.chunks, words, rng)

    process, url = start_server(data_dir)
    local = Service(ServiceSettings(data_dir=data_dir, scheduler=False, resume=False))
    try:
        kb = local.datasets.open(dataset_id)
        queries = [" ".join(rng.choice(words[50:3000], size=4)) for _ in range(args.queries)]
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
            def over_http(query: str, number: int) -> int:
                name, operator, value = FILTERS[number % len(FILTERS)]
                body = {"question": query, "dataset_ids": [dataset_id], "page_size": 10, "top_k": 10,
                        "metadata_condition": {"conditions": [
                            {"name": name, "comparison_operator": operator, "value": value}]}}
                response = http.post("/api/v1/retrieval", json=body)
                response.raise_for_status()
                return len(response.json()["data"]["chunks"])

            def in_process(query: str, number: int) -> int:
                return len(kb.search(query, k=10, filters=[parse_filter(KB_FILTERS[number % len(KB_FILTERS)])]))

            for warm in range(3):
                over_http(queries[warm], warm)
                in_process(queries[warm], warm)
            at_rest = rss_mb(process.pid)
            http_ms, library_ms = [], []
            for number, query in enumerate(queries):
                pairs = [(over_http, http_ms), (in_process, library_ms)]
                for call, sink in (pairs if number % 2 == 0 else pairs[::-1]):
                    start = time.perf_counter()
                    found = call(query, number)
                    sink.append((time.perf_counter() - start) * 1000)
                    assert found <= 10
            print(f"retrieval, k=10, one filter, {len(queries)} queries over {kb.count_chunks()} chunks:")
            print(f"  POST /api/v1/retrieval (loopback)  p50 {percentile(http_ms, .5):.1f} ms  p95 {percentile(http_ms, .95):.1f} ms")
            print(f"  kb.search (library, same process)  p50 {percentile(library_ms, .5):.1f} ms  p95 {percentile(library_ms, .95):.1f} ms")
            extra = [h - lib for h, lib in zip(http_ms, library_ms)]
            print(f"  HTTP layer adds                    p50 {percentile(extra, .5):.1f} ms  p95 {percentile(extra, .95):.1f} ms")
            health_ms = []
            for _ in queries:  # the HTTP stack alone: auth-free, no work
                start = time.perf_counter()
                http.get("/healthz").raise_for_status()
                health_ms.append((time.perf_counter() - start) * 1000)
            print(f"  GET /healthz (HTTP round trip alone) p50 {percentile(health_ms, .5):.1f} ms  p95 {percentile(health_ms, .95):.1f} ms")
            print(f"server RSS at rest (after the queries above): {at_rest:.0f} MB")

            api = serve_api(args.sync_items, 0.0)
            api_url = api.url
            sync_dataset = http.post("/api/v1/datasets", json={"name": f"sync-{time.time():.0f}",
                                                                "embedding_model": "hashing"}).json()["data"]
            config = {"url": f"{api_url}/page", "items_path": "$.items", "id_field": "id", "title_field": "title",
                      "content_fields": ["title", "body"], "metadata_fields": ["author.name", "tags[*].name"],
                      "pagination_type": "page", "pagination_config": {
                          "page_param": "page", "page_size_param": "per_page", "page_size": 100, "total_path": "$.total"},
                      "max_pages": 10_000}
            connector = http.post("/api/v1/connectors", json={"name": "bench", "config": config,
                                                              "dataset_id": sync_dataset["id"]}).json()["data"]
            started = time.perf_counter()
            peak = rss_mb(process.pid)
            while True:
                progress = http.get(f"/api/v1/connectors/{connector['id']}/progress").json()["data"]
                peak = max(peak, rss_mb(process.pid))
                if not progress["running"]:
                    break
                time.sleep(0.1)
            run = progress["run"]
            seconds = time.perf_counter() - started
            print(f"sync of {run['documents_fetched']} items ({run['status']}, hashing embedder) in {seconds:.1f} s: "
                  f"server peak RSS {peak:.0f} MB (at rest {at_rest:.0f} MB)")
            api.stop()
    finally:
        local.close()
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
