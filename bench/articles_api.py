"""Generated help articles behind a loopback API, shared by the sync benchmarks (no bench here).

    article(n)           one ~1 KB article; lengths vary (90..200 words) as real ones do, so
                         padding in the embedding model matters; `updated_at` is n minutes after BASE_TIME
    serve(count, ...)    page pagination (`page`, `per_page`), `updated_since` honoured, optional
                         latency per page and `meta.total_pages`; items built on demand
    source_config(url, ...)  the matching restsync config
"""

from __future__ import annotations

import json
import math
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
WORDS = ("refund policy shipping invoice account password billing export import webhook token limit "
         "integration report dashboard team member role permission plan upgrade trial cancel workspace "
         "sign-in email address profile security settings schedule calendar reminder archive").split()


def article(number: int) -> dict[str, Any]:
    count = 90 + (number * 37) % 110
    words = [WORDS[(number * 7 + i * 3 + i // 5) % len(WORDS)] for i in range(count)]
    sentences = [" ".join(words[i : i + 12]).capitalize() + "." for i in range(0, count, 12)]
    return {
        "id": number,
        "title": f"How to handle {WORDS[number % len(WORDS)]} case {number}",
        "body": " ".join(sentences),
        "author": f"author-{number % 17}",
        "updated_at": (BASE_TIME + timedelta(minutes=number)).isoformat().replace("+00:00", "Z"),
    }


def serve(count: int, *, latency_s: float = 0.0, totals: bool = False) -> ThreadingHTTPServer:
    """Articles 1..count; `updated_since` lists only those updated since; each page answered after
    `latency_s`; `totals`: the body says `meta.total_pages` (RAGFlow-style configs meet none)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            started = time.monotonic()
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
            first = 1
            if query.get("updated_since"):
                moment = datetime.fromisoformat(query["updated_since"].replace("Z", "+00:00"))
                first = max(1, math.ceil((moment - BASE_TIME).total_seconds() / 60))
            listed = range(first, count + 1)
            body: dict[str, Any] = {"items": [article(n) for n in listed[(page - 1) * per_page : page * per_page]]}
            if totals:
                body["meta"] = {"total_pages": max(1, -(-len(listed) // per_page))}
            data = json.dumps(body).encode()
            time.sleep(max(0.0, latency_s - (time.monotonic() - started)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def source_config(url: str, per_page: int, *, totals: bool = False, **extra: Any) -> dict[str, Any]:
    """Page numbers; without `totals` and `extra`, a RAGFlow-style config (no total, `batch_size` 2)."""
    pagination: dict[str, Any] = {"page_param": "page", "page_size_param": "per_page", "page_size": per_page}
    if totals:
        pagination["total_pages_path"] = "$.meta.total_pages"
    return {
        "url": url, "items_path": "$.items", "id_field": "id", "title_field": "title",
        "content_fields": ["title", "body"], "metadata_fields": ["author"],
        "poll_timestamp_field": "updated_at", "pagination_type": "page", "pagination_config": pagination,
        **extra,
    }
