"""What the integrations add on top of a knowledge-base search.

Builds the demo knowledge base (150 articles, hashing embedder, so the figures are the
integrations' own cost, not a model's), then times the same queries through:

- `KnowledgeBase.search` directly (the floor);
- the LangChain retriever and the LlamaIndex retriever over the directory;
- Dify's endpoint on a loopback uvicorn server (HTTP round trip included);
- the MCP `search` tool over stdio (`restsync mcp --kb`, JSON-RPC round trip included),
  plus the time from launching `restsync mcp` to its tool list.

    .venv/bin/python bench/bench_integrations.py [--rounds 5] [--queries 40]

Prints median milliseconds per query for each path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from restsync.cli.demo import config_path
from restsync.config import load_config
from restsync.demo.loopback import serve_asgi
from restsync.demo.server import DemoApiServer
from restsync.integrations import LocalBackend
from restsync.integrations.dify import dify_router
from restsync.integrations.langchain import RestsyncRetriever as LangChainRetriever
from restsync.integrations.llamaindex import RestsyncRetriever as LlamaIndexRetriever
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.sync import sync_source

WORDS = ("reset", "audit", "logs", "billing", "export", "invite", "members", "security", "sso", "refund",
         "integration", "webhook", "password", "plan", "invoice", "team")


def queries(count: int) -> list[str]:
    return [f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7 + 3) % len(WORDS)]}" for i in range(count)]


def build_kb(directory: Path) -> None:
    with DemoApiServer() as api, KnowledgeBase.open(directory, embedder=HashingEmbedder()) as kb:
        sync_source(kb, "help", load_config(config_path(), env={"RESTSYNC_DEMO_URL": api.url}), allow_private=True)


def timed_rounds(paths: dict, items: list[str], rounds: int) -> dict[str, float]:
    """Median ms per query of each path; one warm-up pass each, then rounds alternate the paths
    so machine noise hits all of them alike."""
    for run in paths.values():
        for item in items:
            run(item)
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, run in paths.items():
            started = time.perf_counter()
            for item in items:
                run(item)
            samples[name].append((time.perf_counter() - started) * 1000 / len(items))
    return {name: statistics.median(values) for name, values in samples.items()}


@contextlib.contextmanager
def dify_server(backend: LocalBackend):
    app = FastAPI()
    app.include_router(dify_router(backend, lambda key: key == "bench"), prefix="/api/v1/dify")
    with serve_asgi(lambda _port: app) as url:
        yield f"{url}/api/v1/dify/retrieval"


async def mcp_timings(kb_dir: Path, items: list[str], rounds: int) -> tuple[float, float]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "restsync", "mcp", "--kb", str(kb_dir)])
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        startup_ms = (time.perf_counter() - started) * 1000
        for item in items:  # warm-up, as the other paths get
            await client.call_tool("search", {"query": item, "top_k": 5})
        medians = []
        for _ in range(rounds):
            begun = time.perf_counter()
            for item in items:
                await client.call_tool("search", {"query": item, "top_k": 5})
            medians.append((time.perf_counter() - begun) * 1000 / len(items))
    return startup_ms, statistics.median(medians)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    items = queries(args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        kb_dir = Path(tmp) / "kb"
        build_kb(kb_dir)
        backend = LocalBackend(kb_dir)
        with dify_server(backend) as url, httpx.Client() as http:
            headers = {"Authorization": "Bearer bench"}

            def dify(query: str) -> None:
                http.post(url, json={"knowledge_id": backend.id, "query": query,
                                     "retrieval_setting": {"top_k": 5, "score_threshold": 0}}, headers=headers)

            results = timed_rounds({
                "KnowledgeBase.search (floor)": lambda q: backend.kb.search(q, k=5),
                "LangChain RestsyncRetriever.invoke": LangChainRetriever(backend=backend, k=5).invoke,
                "LlamaIndex RestsyncRetriever.retrieve": LlamaIndexRetriever(backend=backend,
                                                                             similarity_top_k=5).retrieve,
                "Dify /retrieval over HTTP": dify,
            }, items, args.rounds)
        rows = list(results.items())
        startup, per_call = asyncio.run(mcp_timings(kb_dir, items, args.rounds))
        rows.append(("MCP search over stdio", per_call))
        backend.close()
    print(f"{'path':40} {'ms/query (median)':>18}")
    for name, value in rows:
        print(f"{name:40} {value:18.2f}")
    print(f"{'restsync mcp: launch to tool list':40} {startup:15.0f} ms")


if __name__ == "__main__":
    main()
