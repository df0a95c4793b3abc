"""`restsync sync`, `search` and `status`: the commands that work on a knowledge base.

    restsync sync source.yaml --kb ./kb [--full] [--force-prune] [--json]
    restsync search "refund policy" --kb ./kb --filter author=Jane -k 5 [--json]
    restsync status --kb ./kb [--json]

Exit statuses of sync: 0 success or partial (vanished documents kept, said on stderr), 1 failed,
2 bad config or usage, 3 truncated.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from restsync.cli.common import (
    add_global_flags, add_source_arguments, allow_private, load_source, read_credentials_file,
)
from restsync.cli.exit_codes import EXIT_OK, EXIT_TRUNCATED
from restsync.cli.output import write_json
from restsync.cli.progress import Progress
from restsync.document import json_safe
from restsync.errors import ConfigError
from restsync.sync.engine import DEFAULT_MAX_PRUNE_SHARE, DEFAULT_OVERLAP, SourceSync, SyncOptions
from restsync.sync.result import PARTIAL, TRUNCATED, SyncResult
from restsync.sync.sources import add_source, source_name_for
from restsync.sync.state import CHECKPOINT_KEY, WATERMARK_KEY

SNIPPET_CHARS = 300


def register(subparsers: Any) -> None:
    _register_sync(subparsers)
    _register_search(subparsers)
    _register_status(subparsers)


def _kb_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", required=True, metavar="DIR", help="knowledge base directory (created if missing)")
    parser.add_argument("--json", action="store_true", help="print one JSON value on stdout")
    add_global_flags(parser, suppress_defaults=True)


# -- sync ------------------------------------------------------------------------------------------


def _register_sync(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sync", help="sync a source into a knowledge base (full first, then incremental)",
        description="The first run lists everything; later runs ask only for what changed since the saved "
                    "watermark. --full re-lists everything and removes documents whose items vanished. "
                    "An interrupted run resumes from its last page. Exit 0 success (or partial: vanished "
                    "documents kept), 1 failed, 2 bad config, 3 truncated.")
    add_source_arguments(parser)
    _kb_argument(parser)
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
    kb = _open_kb(args.kb, settings=_settings_changes(args), allow_private=allow_private(args))
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


# -- search ----------------------------------------------------------------------------------------


def _register_search(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search", help="hybrid (keyword + vector) search of a knowledge base",
        description="Each hit names its document, title, link and metadata, for citations.")
    parser.add_argument("query", help="what to look for")
    _kb_argument(parser)
    parser.add_argument("-k", type=int, default=5, metavar="N", help="number of hits (default %(default)s)")
    parser.add_argument("--filter", action="append", default=[], metavar="EXPR",
                        help="metadata filter such as author=Jane or 'updated_at>=2025-01-01' (repeatable, all must hold)")
    parser.add_argument("--source", action="append", default=None, metavar="NAME",
                        help="search only this source (repeatable)")
    parser.add_argument("--vector-weight", type=float, default=None, metavar="W",
                        help="0 = keyword only, 1 = vector only (default: the knowledge base's setting)")
    parser.add_argument("--threshold", type=float, default=None, metavar="SCORE", help="drop hits scoring below this")
    parser.set_defaults(handler=run_search)


def run_search(args: argparse.Namespace) -> int:
    from restsync.kb import parse_filter
    from restsync.kb.knowledge_base import MAX_K

    if not 1 <= args.k <= MAX_K:
        raise ConfigError(f"must be between 1 and {MAX_K}", key="-k")
    filters = [parse_filter(text) for text in args.filter]
    kb = _open_kb(args.kb, must_exist=True, allow_private=allow_private(args))
    try:
        _warn_unknown_filter_keys(kb, filters, args.source)
        options = {} if args.threshold is None else {"threshold": args.threshold}
        hits = kb.search(args.query, k=args.k, filters=filters, sources=args.source,
                         vector_weight=args.vector_weight, **options)
    finally:
        kb.close()
    if args.json:
        write_json(sys.stdout, [hit_to_dict(hit) for hit in hits])
        return EXIT_OK
    if not hits:
        print("no hits", file=sys.stderr)
    for number, hit in enumerate(hits, start=1):
        text = " ".join(hit.text.split())
        if len(text) > SNIPPET_CHARS:
            text = text[:SNIPPET_CHARS] + " ..."
        print(f"{number}. {hit.title or '(no title)'}  [score {hit.score:.3f}, {hit.source}]")
        print(f"   {hit.link or '(no link)'}")
        print(f"   {text}")
    return EXIT_OK


def _warn_unknown_filter_keys(kb: Any, filters: list[Any], sources: list[str] | None) -> None:
    """Filters match configured metadata fields only: a key no source configures can never match,
    and "no hits" alone would not say why."""
    configured: set[str] = set()
    for info in kb.list_sources():
        if sources is None or info.name in sources:
            configured.update(info.config.get("metadata_fields") or [])
    for search_filter in filters:
        if search_filter.key not in configured:
            known = ", ".join(sorted(configured)) or "none"
            print(f"warning: filter key {search_filter.key!r} is not a configured metadata field of the "
                  f"searched sources (metadata_fields: {known}); it matches nothing", file=sys.stderr)


def hit_to_dict(hit: Any) -> dict[str, Any]:
    return {
        "document_id": hit.document_id,
        "chunk_id": hit.chunk_id,
        "source": hit.source,
        "title": hit.title,
        "link": hit.link,
        "metadata": json_safe(hit.metadata),
        "score": hit.score,
        "text": hit.text,
    }


# -- status ----------------------------------------------------------------------------------------


def _register_status(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="sources, last runs, counts and watermarks of a knowledge base")
    _kb_argument(parser)
    parser.add_argument("--source", metavar="NAME", help="only this source")
    parser.add_argument("--runs", type=int, default=5, metavar="N", help="last runs shown per source (default %(default)s)")
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    kb = _open_kb(args.kb, must_exist=True)
    try:
        status = knowledge_base_status(kb, source=args.source, runs=args.runs)
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


def knowledge_base_status(kb: Any, *, source: str | None = None, runs: int = 5) -> dict[str, Any]:
    """Sources with their counts, watermarks and last runs: what `status --json` prints."""
    sources = [info for info in kb.list_sources() if source is None or info.name == source]
    if source is not None and not sources:
        raise ConfigError(f"no source named {source!r} in this knowledge base", key="--source")
    return {
        "kb_id": kb.id,
        "documents": kb.count_documents(source),
        "vectors": kb.vector_health().to_dict(),
        "sources": [
            {
                "name": info.name,
                "documents": kb.count_documents(info.name),
                "watermark": kb.get_state(info.name, WATERMARK_KEY),
                "resumable": kb.get_state(info.name, CHECKPOINT_KEY) is not None,
                "url": (info.config or {}).get("url"),
                "runs": [_run_to_dict(run) for run in kb.list_runs(info.name, limit=runs)],
            }
            for info in sources
        ],
    }


def _run_to_dict(run: Any) -> dict[str, Any]:
    return {
        "id": run.id, "mode": run.mode, "status": run.status, "started_at": run.started_at,
        "finished_at": run.finished_at, "counts": dict(run.counts or {}), "error": run.error,
        "watermark": run.watermark,
    }


def _when(epoch: float | None) -> str:
    from datetime import datetime, timezone

    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _settings_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes = {"chunk_tokens": args.chunk_tokens, "chunk_overlap": args.chunk_overlap,
               "embedder": args.embedder, "embedding_url": args.embedding_url}
    return {key: value for key, value in changes.items() if value is not None}


def _open_kb(path: str, *, must_exist: bool = False, settings: dict[str, Any] | None = None,
             allow_private: bool = False) -> Any:
    """Open (sync: create) the knowledge base; reading commands never create an empty one by mistake.
    `settings` are changes over what the knowledge base already keeps."""
    from dataclasses import replace
    from pathlib import Path

    from restsync.kb import KnowledgeBase

    if must_exist and not Path(path).is_dir():
        raise ConfigError(f"no knowledge base at {path}", key="--kb")
    try:
        # Reading commands open read-only: they work on a read-only mount and never create files.
        kb = KnowledgeBase.open(path, read_only=must_exist, allow_private=allow_private)
    except OSError as error:  # e.g. a path below a file: a usage problem, named as such
        raise ConfigError(f"cannot open a knowledge base at {path}: {error.strerror or error}", key="--kb") from None
    if not settings:
        return kb
    if "chunk_tokens" in settings and "chunk_overlap" not in settings:
        settings["chunk_overlap"] = None  # re-derived from the new size
    updated = replace(kb.settings, **settings)
    kb.close()
    return KnowledgeBase.open(path, settings=updated, allow_private=allow_private)
