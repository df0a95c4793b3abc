"""Sync throughput: first sync with the real embedding model, then re-syncs of the unchanged source.

    python bench/bench_sync.py [--docs 20000] [--embedder all-MiniLM-L6-v2] [--json]

A loopback API serves `--docs` generated articles (page pagination with totals, 200 per page,
each item built on demand so the server holds no dataset). Figures printed:
- first sync: documents/s and chunks embedded (every document is new);
- incremental re-sync: the API is asked only for items changed since the watermark;
- full re-sync: every item is listed again and found unchanged, so nothing is re-embedded
  (the floor: at least 20x faster than the first sync);
- peak RSS of this process.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from restsync.kb import KnowledgeBase
from restsync.kb.settings import KBSettings
from restsync.sync import add_source, sync_source

PAGE_SIZE = 200
BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
WORDS = ("refund policy shipping invoice account password billing export import webhook token limit "
         "integration report dashboard team member role permission plan upgrade trial cancel").split()


def article(number: int) -> dict[str, Any]:
    words = [WORDS[(number * 7 + i * 3) % len(WORDS)] for i in range(90)]
    return {
        "id": number,
        "title": f"How to handle {WORDS[number % len(WORDS)]} case {number}",
        "body": f"Article {number}. " + " ".join(words) + ".",
        "author": f"author-{number % 17}",
        "updated_at": (BASE_TIME + timedelta(minutes=number)).isoformat().replace("+00:00", "Z"),
    }


def serve(count: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", str(PAGE_SIZE)))
            since = query.get("updated_since", "")
            first = 1
            if since:
                moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
                first = max(1, math.ceil((moment - BASE_TIME).total_seconds() / 60))
            listed = range(first, count + 1)
            chunk = listed[(page - 1) * per_page: page * per_page]
            body = json.dumps({"items": [article(n) for n in chunk],
                               "meta": {"total_pages": max(1, -(-len(listed) // per_page))}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def source_config(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "query_params": {"updated_since": "{poll_start}"},
        "items_path": "$.items",
        "id_field": "id",
        "title_field": "title",
        "content_fields": ["title", "body"],
        "metadata_fields": ["author"],
        "poll_timestamp_field": "updated_at",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": PAGE_SIZE,
                              "total_pages_path": "$.meta.total_pages"},
        "batch_size": PAGE_SIZE,
        "max_pages": 100_000,
        "request_delay": 0,
        "concurrency": 8,
    }


def timed_sync(kb: KnowledgeBase, config: dict[str, Any], **options: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = sync_source(kb, "bench", config, allow_private=True, **options)
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--embedder", default=None, help="embedder name (default: the knowledge base default model)")
    parser.add_argument("--kb", default=None, help="knowledge base directory (default: a temporary one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    server = serve(args.docs)
    url = f"http://127.0.0.1:{server.server_address[1]}/api/articles"
    config = source_config(url)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.kb or Path(scratch) / "kb")
        settings = KBSettings(embedder=args.embedder) if args.embedder else None
        kb = KnowledgeBase.open(path, settings=settings)
        try:
            add_source(kb, "bench", config)
            first_s, first = timed_sync(kb, config)
            incremental_s, incremental = timed_sync(kb, config)
            full_s, full = timed_sync(kb, config, full=True)
            documents = kb.count_documents("bench")
        finally:
            kb.close()
    server.shutdown()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "documents": documents,
        "first_sync_s": round(first_s, 2),
        "first_sync_docs_per_s": round(first.counts.new / first_s, 1),
        "first_sync_chunks_embedded": first.counts.chunks_embedded,
        "incremental_resync_s": round(incremental_s, 3),
        "incremental_resync_fetched": incremental.counts.fetched,
        "full_resync_s": round(full_s, 2),
        "full_resync_chunks_embedded": full.counts.chunks_embedded,
        "full_resync_speedup": round(first_s / full_s, 1),
        "incremental_resync_speedup": round(first_s / incremental_s, 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:<30} {value}")
    ok = full.counts.chunks_embedded == 0 and first_s / full_s >= 20
    if not ok:
        print("FLOOR MISSED: a re-sync of an unchanged source must embed nothing and be >= 20x faster",
              file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
