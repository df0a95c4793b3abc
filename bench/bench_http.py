"""CPU cost of one `HttpClient.send` of a 100-item page (~110 KB), measured in the client process.

    .venv/bin/python bench/bench_http.py                  # this checkout
    PYTHONPATH=OTHER/src .venv/bin/python bench/bench_http.py   # another checkout, same machine

CPU seconds (user + system) of the client process, not wall time: on a shared machine the wall
clock mostly measures the neighbours. The API (bench/apiserver.py) runs in its own process.
Also times JSON decoding alone, and the duplicate-key scan that runs on a client's first page.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_connector import ApiProcess  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import restsync
    from restsync.http import HttpClient, RequestSpec
    from restsync.http import body

    server = ApiProcess(20_000, 0)
    try:
        client = HttpClient(allow_private=True)
        spec = RequestSpec("GET", server.url + "/page", params={"page": "3", "per_page": "100"})
        content = b""
        for _ in range(20):  # warm up: connection, caches
            content = json.dumps(client.send(spec).data).encode()
        per_request = []
        for _ in range(args.rounds):
            started = cpu_seconds()
            for _ in range(args.requests):
                client.send(spec)
            per_request.append((cpu_seconds() - started) / args.requests * 1e3)
        client.close()
    finally:
        server.close()

    def timed(function, repeats: int = 500) -> float:
        best = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(repeats):
                function()
            best.append((time.process_time() - started) / repeats * 1e3)
        return statistics.median(best)

    print(f"restsync from {Path(restsync.__file__).parent}")
    print(f"page body: {len(content):,} bytes")
    print(f"send, CPU per request: {statistics.median(per_request):.3f} ms "
          f"(rounds: {', '.join(f'{v:.3f}' for v in per_request)})")
    print(f"json.loads alone: {timed(lambda: json.loads(content)):.3f} ms")
    if hasattr(body, "duplicate_keys"):
        print(f"duplicate-key scan (first page only): {timed(lambda: body.duplicate_keys(content)):.3f} ms")


if __name__ == "__main__":
    main()
