"""`restsync sync`: sync a source into a knowledge base.

    restsync sync source.yaml --kb ./kb [--full] [--force-prune] [--json]

Exit statuses: 0 success or partial (vanished documents kept, said on stderr), 1 failed,
2 bad config or usage, 3 truncated.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from restsync.cli.common import add_source_arguments, allow_private, load_source, read_credentials_file
from restsync.cli.exit_codes import EXIT_OK, EXIT_TRUNCATED
from restsync.cli.kb_options import add_kb_arguments, open_kb
from restsync.cli.output import write_json
from restsync.cli.progress import Progress
from restsync.errors import ConfigError
from restsync.sync.engine import DEFAULT_MAX_PRUNE_SHARE, DEFAULT_OVERLAP, SourceSync, SyncOptions
from restsync.sync.result import PARTIAL, TRUNCATED, SyncResult
from restsync.sync.sources import add_source, source_name_for


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync", help="sync a source into a knowledge base (full first, then incremental)",
        description="The first run lists everything; later runs ask only for what changed since the saved "
                    "watermark. --full re-lists everything and removes documents whose items vanished. "
                    "An interrupted run resumes from its last page. Exit 0 success (or partial: vanished "
                    "documents kept), 1 failed, 2 bad config, 3 truncated.")
    add_source_arguments(parser)
    add_kb_arguments(parser)
    parser.add_argument("--source", metavar="NAME", help="source name in the knowledge base (default: config file stem)")
    parser.add_argument("--full", action="store_true", help="full re-listing, with safe deletion of vanished items")
    parser.add_argument("--force-prune", action="store_true",
                        help="delete vanished documents even beyond --max-prune-share")
    parser.add_argument("--max-prune-share", type=float, default=DEFAULT_MAX_PRUNE_SHARE, metavar="SHARE",
                        help="largest share of a source a full sync may delete (default %(default)s)")
    parser.add_argument("--overlap", type=float, default=DEFAULT_OVERLAP.total_seconds(), metavar="SECONDS",
                        help="incremental runs ask from the watermark minus this much (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    settings = parser.add_argument_group("knowledge-base settings (kept with the knowledge base; "
                                         "new chunk sizes apply to documents written from then on)")
    settings.add_argument("--chunk-tokens", type=int, metavar="N", help="chunk size in model tokens (default 200)")
    settings.add_argument("--chunk-overlap", type=int, metavar="N", help="tokens shared by neighbouring chunks")
    settings.add_argument("--embedder", metavar="NAME",
                          help="all-MiniLM-L6-v2 (default, local) or openai:MODEL with --embedding-url; "
                               "fixed once the knowledge base holds vectors")
    settings.add_argument("--embedding-url", metavar="URL",
                          help="OpenAI-compatible embeddings endpoint (key from RESTSYNC_EMBEDDING_API_KEY)")
    parser.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    if not 0.0 <= args.max_prune_share <= 1.0:
        raise ConfigError("must be between 0 and 1", key="--max-prune-share")
    if args.overlap < 0:
        raise ConfigError("must not be negative", key="--overlap")
    config = load_source(args)
    name = source_name_for(args.config, args.source)
    credentials = read_credentials_file(args.credentials) if args.credentials else None
    options = SyncOptions(
        full=args.full, force_prune=args.force_prune, max_prune_share=args.max_prune_share,
        overlap=timedelta(seconds=args.overlap), allow_private=allow_private(args), credentials=credentials,
    )
    progress = Progress(sys.stderr, label=f"sync {name}", interactive=False if args.quiet else None)
    kb = open_kb(args.kb, settings=_settings_changes(args), allow_private=allow_private(args))
    try:
        _repair_vectors(kb, args.kb)
        add_source(kb, name, config)
        engine = SourceSync(kb, name, config, options,
                            on_progress=lambda r: progress.update(pages=r.pages, documents=r.counts.fetched))
        try:
            result = engine.run()
        except BaseException:
            if not args.quiet:
                progress.finish()
            if args.json:
                write_json(sys.stdout, engine.result.to_dict())
            raise
    finally:
        kb.close()
    if not args.quiet:
        progress.finish()
    if args.json:
        write_json(sys.stdout, result.to_dict())
    _print_sync_summary(result)
    return EXIT_TRUNCATED if result.status == TRUNCATED else EXIT_OK


def _repair_vectors(kb: Any, path: str) -> None:
    """A truncated or deleted vector file is repaired before anything new is written over the gap."""
    health = kb.vector_health()
    if health.ok:
        return
    print(f"restsync: the vector file of {path} lacks the vectors of {health.chunks_missing} chunks "
          f"(truncated or deleted); re-embedding them from the stored text", file=sys.stderr)
    repaired = kb.repair_vectors()
    print(f"restsync: repaired: {repaired} texts re-embedded", file=sys.stderr)


def _print_sync_summary(result: SyncResult) -> None:
    counts = result.counts
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    resumed = " (resumed)" if result.resumed else ""
    print(f"restsync: {result.status}: {result.mode} sync of {result.source}{resumed}: "
          f"{counts.fetched} fetched, {counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged, "
          f"{counts.deleted} deleted, {counts.chunks_embedded} chunks embedded; "
          f"watermark {result.watermark or '-'}", file=sys.stderr)
    if result.status == TRUNCATED:
        print(f"restsync: TRUNCATED: stopped early: {result.truncation_reason}; nothing deleted, "
              "watermark not advanced", file=sys.stderr)
    elif result.status == PARTIAL and result.prune.refused_reason:
        print(f"restsync: kept {result.prune.would_delete} vanished documents: {result.prune.refused_reason} "
              "(--force-prune deletes them)", file=sys.stderr)
    if result.status == PARTIAL and result.partial_reason:
        print(f"restsync: PARTIAL: {result.partial_reason}; watermark not advanced", file=sys.stderr)
    if result.prune.marked_missing:
        print(f"restsync: {result.prune.marked_missing} documents not listed this time are kept until the next "
              "full sync misses them too (--force-prune deletes them now)", file=sys.stderr)


def _settings_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes = {"chunk_tokens": args.chunk_tokens, "chunk_overlap": args.chunk_overlap,
               "embedder": args.embedder, "embedding_url": args.embedding_url}
    return {key: value for key, value in changes.items() if value is not None}
