"""Sync throughput: first sync with the real embedding model, then re-syncs of the unchanged source.

    python bench/bench_sync.py [--docs 20000] [--embedder all-MiniLM-L6-v2] [--json]

A loopback API (`articles_api.py`) serves `--docs` generated articles (page pagination with
totals, 200 per page, each item built on demand so the server holds no dataset). Figures printed:
- first sync: documents/s and chunks embedded (every document is new);
- incremental re-sync: the API is asked only for items changed since the watermark;
- full re-sync: every item is listed again and found unchanged, so nothing is re-embedded
  (the floor: at least 20x faster than the first sync);
- peak RSS of this process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import articles_api  # noqa: E402
from restsync.kb import KnowledgeBase  # noqa: E402
from restsync.kb.settings import KBSettings  # noqa: E402
from restsync.sync import add_source, sync_source  # noqa: E402

PAGE_SIZE = 200


def source_config(url: str) -> dict[str, Any]:
    return articles_api.source_config(
        url, PAGE_SIZE, totals=True, query_params={"updated_since": "{poll_start}"},
        batch_size=PAGE_SIZE, max_pages=100_000, request_delay=0, concurrency=8,
    )


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

    server = articles_api.serve(args.docs, totals=True)
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
