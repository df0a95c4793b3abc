"""`restsync status`: sources, last runs, counts and watermarks of a knowledge base.

    restsync status --kb ./kb [--json]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

from restsync.cli.exit_codes import EXIT_OK
from restsync.cli.kb_options import add_kb_arguments, open_kb
from restsync.cli.output import write_json
from restsync.sync.status import knowledge_base_status


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="sources, last runs, counts and watermarks of a knowledge base")
    add_kb_arguments(parser)
    parser.add_argument("--source", metavar="NAME", help="only this source")
    parser.add_argument("--runs", type=int, default=5, metavar="N", help="last runs shown per source (default %(default)s)")
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    kb = open_kb(args.kb, must_exist=True)
    try:
        status = knowledge_base_status(kb, source=args.source, runs=args.runs, key="--source")
    finally:
        kb.close()
    if args.json:
        write_json(sys.stdout, status)
        return EXIT_OK
    print(f"knowledge base {status['kb_id']}: {status['documents']} documents in {len(status['sources'])} sources")
    vectors = status["vectors"]
    if not vectors["ok"]:
        print(f"DAMAGED: the vector file lacks the vectors of {vectors['chunks_missing']} chunks (it holds "
              f"{vectors['rows_in_file']} rows, the chunks use {vectors['rows_referenced']}); vector search is "
              "refused until a sync (of any source) re-embeds them")
    for source in status["sources"]:
        pending = "  (an interrupted run will resume)" if source["resumable"] else ""
        print(f"\n{source['name']}: {source['documents']} documents, watermark {source['watermark'] or '-'}{pending}")
        for run in source["runs"]:
            counts = run["counts"] or {}
            summary = ", ".join(f"{counts[k]} {k}" for k in ("fetched", "new", "updated", "deleted") if k in counts)
            error = f"  error: {run['error']}" if run["error"] else ""
            print(f"  run {run['id']}  {run['mode']:<11} {run['status']:<9} {_when(run['started_at'])}  {summary}{error}")
    return EXIT_OK


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
