"""First sync: the pipeline against the bare model and the bare fetch, on the same texts, in one run.

    python bench/bench_first_sync.py [--docs 400] [--per-page 20] [--latency-ms 0] [--backend auto] [--runs 3]

A loopback API serves `--docs` generated help articles of ~1 KB (page pagination, RAGFlow
style: no total, `batch_size` 2), answering each page after `--latency-ms`. Each run measures,
in turn:
- fetch only: the connector walks every page and maps every item, nothing stored;
- bare model: the embedder embeds every chunk text the sync will embed, in one call
  (sorted by length over all of them: the best batching there is);
- pipeline: a first sync into a new knowledge base (fetch, chunk, embed, store, checkpoints);
- sequential: the same batches stored one after another (fetch, then chunk+embed+store, the
  order a sync ran in before the pipeline), for comparison.
Bare model and pipeline alternate which goes first from run to run. Also measured each run: the
pipeline with an instant embedder (same tokenizer, so the same chunks; no model), i.e. the CPU
the sync spends besides the model. Medians over `--runs`. Printed: docs/s and chunk texts/s of
each, and the ratios that matter: pipeline texts/s / bare model texts/s (floor 0.9 on a CPU;
per run too), CPU seconds of both, and pipeline time / the slower of fetch-only and bare model
(1.0 = fully overlapped; the sum of both would be 1 + the faster). The articles and their API
are `articles_api.py`, shared with `bench_sync.py`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from articles_api import serve, source_config  # noqa: E402
from restsync.clock import FakeClock  # noqa: E402
from restsync.connector import RestApiConnector  # noqa: E402
from restsync.kb import KnowledgeBase  # noqa: E402
from restsync.kb.chunking import Chunker  # noqa: E402
from restsync.kb.embedding import build_embedder, token_spans_of  # noqa: E402
from restsync.kb.fingerprint import text_hash  # noqa: E402
from restsync.kb.settings import KBSettings  # noqa: E402
from restsync.sync import sync_source  # noqa: E402


class CountingEmbedder:
    """The model, counting its calls: how the pipeline grouped the texts."""

    def __init__(self, embedder: Any):
        self.name, self.backend, self._embedder = embedder.name, getattr(embedder, "backend", "?"), embedder
        self.token_spans = token_spans_of(embedder)
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return self._embedder.embed(texts)


class InstantEmbedder:
    """Same name and tokenizer (so the same chunks), no model: what the pipeline costs by itself."""

    def __init__(self, embedder: Any):
        self.name, self.token_spans = embedder.name, token_spans_of(embedder)
        self._dimension = len(embedder.embed(["dimension"])[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.full((len(texts), self._dimension), self._dimension ** -0.5, dtype=np.float32)


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


def timed(call: Any) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process (all threads) and the result of `call()`."""
    started, cpu = time.perf_counter(), time.process_time()
    value = call()
    return time.perf_counter() - started, time.process_time() - cpu, value


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

    server = serve(args.docs, latency_s=args.latency_ms / 1000)
    config = source_config(f"http://127.0.0.1:{server.server_address[1]}/items", args.per_page)
    embedder = build_embedder("all-MiniLM-L6-v2", backend=args.backend)
    settings = KBSettings()
    embedder.embed(["warm up the model"])  # load time is the cold-start bench's business
    counting, instant = CountingEmbedder(embedder), InstantEmbedder(embedder)

    _, documents = fetch_only(config)
    texts = chunk_texts(documents, embedder, settings)
    fetch_s, model_s, pipeline_s, sequential_s, ratios = [], [], [], [], []
    # CPU seconds of this process: steadier than wall time on a busy machine.
    model_cpu, pipeline_cpu, no_model_cpu, no_model_s = [], [], [], []
    embedded = 0
    for run in range(args.runs):
        fetch_s.append(fetch_only(config)[0])
        wall, cpu, (_, _) = timed(lambda: pipeline_sync(config, instant))
        no_model_s.append(wall)
        no_model_cpu.append(cpu)
        counting.calls.clear()
        # Alternate which of the two goes first, so a load that drifts during a run favours neither.
        for step in (("model", "pipeline") if run % 2 == 0 else ("pipeline", "model")):
            if step == "model":
                wall, cpu, _ = timed(lambda: embedder.embed(texts))
                model_s.append(wall)
                model_cpu.append(cpu)
            else:
                _, cpu, (wall, embedded) = timed(lambda: pipeline_sync(config, counting))
                pipeline_s.append(wall)
                pipeline_cpu.append(cpu)
        ratios.append(round((embedded / pipeline_s[-1]) / (len(texts) / model_s[-1]), 3))
        if not args.no_sequential:
            sequential_s.append(sequential_sync(config, embedder))
        print(f"run {run + 1}: fetch {fetch_s[-1]:.2f} s, model {model_s[-1]:.2f} s ({model_cpu[-1]:.2f} CPU s), "
              f"pipeline {pipeline_s[-1]:.2f} s ({pipeline_cpu[-1]:.2f} CPU s; model calls of {counting.calls} texts), "
              f"ratio {ratios[-1]:.3f}"
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
        "pipeline_without_model": {"s": round(statistics.median(no_model_s), 3),
                                   "cpu_s": round(statistics.median(no_model_cpu), 3)},
        "pipeline_vs_bare_model": round((embedded / pipeline) / (len(texts) / model), 3),
        "pipeline_vs_bare_model_runs": ratios,
        "cpu_s": {"bare_model": round(statistics.median(model_cpu), 2), "pipeline": round(statistics.median(pipeline_cpu), 2)},
        "cpu_bare_model_vs_pipeline": round(statistics.median(model_cpu) / statistics.median(pipeline_cpu), 3),
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
    print(f"  pipeline texts/s / bare model texts/s: {report['pipeline_vs_bare_model']:.3f} (floor 0.9; "
          f"runs {', '.join(f'{r:.3f}' for r in ratios)})")
    print(f"  CPU seconds: bare model {report['cpu_s']['bare_model']:.2f}, pipeline {report['cpu_s']['pipeline']:.2f} "
          f"(ratio {report['cpu_bare_model_vs_pipeline']:.3f}); the pipeline without the model: "
          f"{report['pipeline_without_model']['cpu_s']:.2f} CPU s, {report['pipeline_without_model']['s']:.2f} s")
    print(f"  pipeline time / slower of fetch and model: {report['pipeline_vs_slower_stage']:.3f} "
          f"(their sum would be {report['sum_of_stages_vs_slower']:.3f})")
    if sequential is not None:
        print(f"  sequential time / pipeline time: {report['sequential_vs_pipeline']:.3f}")


if __name__ == "__main__":
    main()
