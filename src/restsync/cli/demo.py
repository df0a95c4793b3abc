"""`restsync demo` (the whole tour against an in-process demo API) and `restsync demo-api` (the API alone).

The tour is a list of steps; later ones (sync + search, serving the UI) are appended to DEMO_STEPS.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from restsync.cli.exit_codes import EXIT_OK
from restsync.demo.server import DemoApiServer

DEMO_URL_ENV = "RESTSYNC_DEMO_URL"


@dataclass
class DemoContext:
    api_url: str
    config_path: Path
    out_dir: Path


@dataclass
class DemoStep:
    title: str
    argv: Callable[[DemoContext], list[str]]  # the restsync command line the step runs, shown to the user
    required: bool = True  # a failed required step ends the tour


def demo_steps() -> list[DemoStep]:
    return [
        DemoStep("check the source config against page 1",
                 lambda ctx: ["check", str(ctx.config_path), "--allow-private"]),
        DemoStep("preview the first two documents",
                 lambda ctx: ["preview", str(ctx.config_path), "-n", "2", "--allow-private"]),
        DemoStep("fetch every article as JSON lines",
                 lambda ctx: ["fetch", str(ctx.config_path), "--allow-private",
                              "--out", str(ctx.out_dir / "articles.jsonl")]),
    ]


def knowledge_base_steps() -> list[DemoStep]:
    def kb(ctx: DemoContext) -> str:
        return str(ctx.out_dir / "kb")

    return [
        DemoStep("sync the articles into a knowledge base (chunked and embedded on this machine)",
                 lambda ctx: ["sync", str(ctx.config_path), "--kb", kb(ctx), "--allow-private"]),
        DemoStep("sync again: incremental from the watermark, nothing re-embedded",
                 lambda ctx: ["sync", str(ctx.config_path), "--kb", kb(ctx), "--allow-private"]),
        DemoStep("hybrid search with a metadata filter",
                 lambda ctx: ["search", "how do I turn on two-factor authentication", "--kb", kb(ctx),
                              "--filter", "category=Security", "-k", "3"]),
        DemoStep("what the knowledge base holds",
                 lambda ctx: ["status", "--kb", kb(ctx)]),
    ]


DEMO_STEPS: list[Callable[[], list[DemoStep]]] = [demo_steps, knowledge_base_steps]


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="run the offline demo: check, preview, fetch, sync and search",
                                 description="Start the demo help-centre API on a free loopback port and "
                                             "run check, preview and fetch against it, then sync it into a "
                                             "knowledge base and search it.")
    demo.add_argument("--out-dir", default="demo-out", help="where fetched files go (default ./demo-out)")
    demo.set_defaults(handler=run_demo)
    api = subparsers.add_parser("demo-api", help="serve the demo help-centre API until interrupted")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8765)
    api.add_argument("--verbose", action="store_true", help="log every request")
    api.set_defaults(handler=run_demo_api)


def config_path() -> Path:
    return Path(str(resources.files("restsync.demo").joinpath("source.yaml")))


def run_demo(args: argparse.Namespace) -> int:
    from restsync.cli.main import main  # the steps are ordinary command lines

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get(DEMO_URL_ENV)
    with DemoApiServer() as server:
        os.environ[DEMO_URL_ENV] = server.url  # what ${RESTSYNC_DEMO_URL} in source.yaml expands to
        context = DemoContext(server.url, config_path(), out_dir)
        print(f"demo API running at {server.url}  (config: {context.config_path})\n")
        try:
            status = _run_steps(context, main)
        finally:
            _restore_env(previous)
    if status == 0:
        _print_next_steps(context)
    return status


def _run_steps(context: DemoContext, main: Callable[[list[str]], int]) -> int:
    steps = [step for factory in DEMO_STEPS for step in factory()]
    worst = 0
    for number, step in enumerate(steps, start=1):
        argv = step.argv(context)
        print(f"== step {number}/{len(steps)}: {step.title}\n$ restsync {' '.join(argv)}", flush=True)
        status = main(argv)
        sys.stdout.flush()
        print()
        if status != 0:
            print(f"step {number} exited with status {status}", file=sys.stderr)
            worst = worst or status
            if step.required:
                return status
    return worst


def _print_next_steps(context: DemoContext) -> None:
    print("What to try next:")
    print(f"  head -n 1 {context.out_dir / 'articles.jsonl'}      # one document as JSON")
    print(f"  restsync demo-api --port 8765 &  then  export {DEMO_URL_ENV}=http://127.0.0.1:8765")
    print(f"  restsync fetch {context.config_path} --allow-private --since 2024-03-01   # incremental window")
    print("  restsync suggest http://127.0.0.1:8765/api/articles --allow-private   # a config from one response")
    print(f"  restsync search 'export audit logs' --kb {context.out_dir / 'kb'} --filter 'votes>=100' --json")


def _restore_env(previous: str | None) -> None:
    if previous is None:
        os.environ.pop(DEMO_URL_ENV, None)
    else:
        os.environ[DEMO_URL_ENV] = previous


def run_demo_api(args: argparse.Namespace) -> int:
    server = DemoApiServer(args.host, args.port, verbose=args.verbose)
    print(f"demo API at {server.url}/api/articles  (Ctrl-C to stop)\n"
          f"  export {DEMO_URL_ENV}={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK
