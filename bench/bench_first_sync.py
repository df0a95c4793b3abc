"""First sync: the pipeline against the bare model and the bare fetch, on the same texts, in one run.

    python bench/bench_first_sync.py [--docs 400] [--per-page 20] [--latency-ms 0] [--backend auto] [--runs 3]

A loopback API serves `--docs` generated help articles of ~1 KB (page pagination, RAGFlow
style: no total, `batch_size` 2), answering each page after `--latency-ms`. Each run measures,
in turn:
- fetch only: the connector walks every page and maps every item, nothing stored;
- bare model: the embedder embeds every chunk text the sync will embed, in one call;
- pipeline: a first sync into a new knowledge base (fetch, chunk, embed, store, checkpoints);
- sequential: the same batches stored one after another (fetch, then chunk+embed+store, the
  order a sync ran in before the pipeline), for comparison.
Medians over `--runs`. Printed: docs/s and chunk texts/s of each, and the ratios that matter:
pipeline texts/s / bare model texts/s (floor 0.9 on a CPU), and pipeline time / the slower of
fetch-only and bare model (1.0 = fully overlapped; the sum of both would be 1 + the faster).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from restsync.clock import FakeClock
from restsync.connector import RestApiConnector
from restsync.kb import KnowledgeBase
from restsync.kb.chunking import Chunker
from restsync.kb.embedding import build_embedder, token_spans_of
from restsync.kb.fingerprint import text_hash
from restsync.kb.settings import KBSettings
from restsync.sync import sync_source

WORDS = ("refund policy shipping invoice account password billing export import webhook token limit "
         "integration report dashboard team member role permission plan upgrade trial cancel workspace "
         "sign-in email address profile security settings schedule calendar reminder archive").split()


def article(number: int) -> dict[str, Any]:
    # ~1 KB of text; lengths vary (90..200 words) as real articles do, so padding matters.
    count = 90 + (number * 37) % 110
    words = [WORDS[(number * 7 + i * 3 + i // 5) % len(WORDS)] for i in range(count)]
    sentences = [" ".join(words[i : i + 12]).capitalize() + "." for i in range(0, count, 12)]
    return {
        "id": number,
        "title": f"How to handle {WORDS[number % len(WORDS)]} case {number}",
        "body": " ".join(sentences),
        "author": f"author-{number % 17}",
        "updated_at": f"2024-01-{1 + number % 28:02d}T00:00:00Z",
    }


def serve(count: int, latency_s: float) -> ThreadingHTTPServer:
    pages: dict[tuple[int, int], bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            started = time.monotonic()
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
            key = (page, per_page)
            if key not in pages:
                chunk = range(1, count + 1)[(page - 1) * per_page : page * per_page]
                pages[key] = json.dumps({"items": [article(n) for n in chunk]}).encode()
            body = pages[key]
            time.sleep(max(0.0, latency_s - (time.monotonic() - started)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def source_config(url: str, per_page: int) -> dict[str, Any]:
    """A RAGFlow-style config: page numbers, no total, default batch_size 2."""
    return {
        "url": url, "items_path": "$.items", "id_field": "id", "title_field": "title",
        "content_fields": ["title", "body"], "metadata_fields": ["author"],
        "poll_timestamp_field": "updated_at", "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": per_page},
    }


def fetch_only(config: dict[str, Any]) -> tuple[float, list]:
    connector = RestApiConnector(config, allow_private=True)
    started = time.perf_counter()
    documents = list(connector.iter_documents())
    elapsed = time.perf_counter() - started
    connector.close()
    return elapsed, documents


def chunk_texts(documents: list, embedder: Any, settings: KBSettings) -> list[str]:
    """Every distinct chunk text a first sync embeds, as the knowledge base chunks them."""
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, token_spans_of(embedder))
    texts: dict[str, str] = {}
    for doc in documents:
        for chunk in chunker.chunk(doc.content or doc.semantic_identifier, title=doc.semantic_identifier):
            texts.setdefault(text_hash(chunk.embedding_text), chunk.embedding_text)
    return list(texts.values())


def pipeline_sync(config: dict[str, Any], embedder: Any) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as directory:
        kb = KnowledgeBase.open(Path(directory), embedder=embedder)
        started = time.perf_counter()
        result = sync_source(kb, "bench", config, allow_private=True, clock=FakeClock())
        elapsed = time.perf_counter() - started
        kb.close()
    return elapsed, result.counts.chunks_embedded


def sequential_sync(config: dict[str, Any], embedder: Any) -> float:
    """Fetch a batch, then chunk, embed and store it, then fetch the next: the sum of both."""
    with tempfile.TemporaryDirectory() as directory:
        kb = KnowledgeBase.open(Path(directory), embedder=embedder)
        connector = RestApiConnector(config, allow_private=True)
        started = time.perf_counter()
        run_id = kb.start_run("bench", "full")
        for batch, _checkpoint in connector.load_from_checkpoint(None):
            if batch:
                kb.upsert_documents("bench", batch, run_id=run_id)
        elapsed = time.perf_counter() - started
        connector.close()
        kb.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--backend", default="auto", help="auto, onnx or torch")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-sequential", action="store_true", help="skip the sequential comparison")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    server = serve(args.docs, args.latency_ms / 1000)
    config = source_config(f"http://127.0.0.1:{server.server_address[1]}/items", args.per_page)
    embedder = build_embedder("all-MiniLM-L6-v2", backend=args.backend)
    settings = KBSettings()
    embedder.embed(["warm up the model"])  # load time is the cold-start bench's business

    _, documents = fetch_only(config)
    texts = chunk_texts(documents, embedder, settings)
    fetch_s, model_s, pipeline_s, sequential_s = [], [], [], []
    model_cpu, pipeline_cpu = [], []  # CPU seconds of this process: steadier than wall time on a busy machine
    embedded = 0
    for run in range(args.runs):
        fetch_s.append(fetch_only(config)[0])
        started, cpu = time.perf_counter(), time.process_time()
        embedder.embed(texts)
        model_s.append(time.perf_counter() - started)
        model_cpu.append(time.process_time() - cpu)
        cpu = time.process_time()
        elapsed, embedded = pipeline_sync(config, embedder)
        pipeline_s.append(elapsed)
        pipeline_cpu.append(time.process_time() - cpu)
        if not args.no_sequential:
            sequential_s.append(sequential_sync(config, embedder))
        print(f"run {run + 1}: fetch {fetch_s[-1]:.2f} s, model {model_s[-1]:.2f} s, pipeline {pipeline_s[-1]:.2f} s"
              + (f", sequential {sequential_s[-1]:.2f} s" if sequential_s else ""), file=sys.stderr)

    fetch, model, pipeline = (statistics.median(v) for v in (fetch_s, model_s, pipeline_s))
    sequential = statistics.median(sequential_s) if sequential_s else None
    docs = len(documents)
    report = {
        "backend": getattr(embedder, "backend", "?"), "docs": docs, "chunk_texts": len(texts),
        "chunks_embedded_by_sync": embedded, "latency_ms": args.latency_ms, "runs": args.runs,
        "fetch_only": {"s": round(fetch, 3), "docs_per_s": round(docs / fetch, 1)},
        "bare_model": {"s": round(model, 3), "texts_per_s": round(len(texts) / model, 1)},
        "pipeline": {"s": round(pipeline, 3), "docs_per_s": round(docs / pipeline, 1),
                     "texts_per_s": round(embedded / pipeline, 1)},
        "pipeline_vs_bare_model": round((embedded / pipeline) / (len(texts) / model), 3),
        "cpu_s": {"bare_model": round(statistics.median(model_cpu), 2), "pipeline": round(statistics.median(pipeline_cpu), 2)},
        "pipeline_vs_slower_stage": round(pipeline / max(fetch, model), 3),
        "sum_of_stages_vs_slower": round((fetch + model) / max(fetch, model), 3),
    }
    if sequential is not None:
        report["sequential"] = {"s": round(sequential, 3), "docs_per_s": round(docs / sequential, 1)}
        report["sequential_vs_pipeline"] = round(sequential / pipeline, 3)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"backend {report['backend']}: {docs} docs, {len(texts)} chunk texts, latency {args.latency_ms:g} ms/page, "
          f"medians of {args.runs}")
    print(f"  fetch only   {fetch:8.2f} s  {docs / fetch:9.1f} docs/s")
    print(f"  bare model   {model:8.2f} s  {len(texts) / model:9.1f} texts/s")
    print(f"  pipeline     {pipeline:8.2f} s  {docs / pipeline:9.1f} docs/s  {embedded / pipeline:7.1f} texts/s")
    if sequential is not None:
        print(f"  sequential   {sequential:8.2f} s  {docs / sequential:9.1f} docs/s")
    print(f"  pipeline texts/s / bare model texts/s: {report['pipeline_vs_bare_model']:.3f} (floor 0.9)")
    print(f"  CPU seconds: bare model {report['cpu_s']['bare_model']:.2f}, pipeline {report['cpu_s']['pipeline']:.2f} "
          "(fetching, chunking and storing included)")
    print(f"  pipeline time / slower of fetch and model: {report['pipeline_vs_slower_stage']:.3f} "
          f"(their sum would be {report['sum_of_stages_vs_slower']:.3f})")
    if sequential is not None:
        print(f"  sequential time / pipeline time: {report['sequential_vs_pipeline']:.3f}")


if __name__ == "__main__":
    main()
