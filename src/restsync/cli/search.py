"""`restsync search`: hybrid (keyword + vector) search of a knowledge base.

    restsync search "refund policy" --kb ./kb --filter author=Jane -k 5 [--json]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from restsync.cli.common import allow_private
from restsync.cli.exit_codes import EXIT_OK
from restsync.cli.kb_options import add_kb_arguments, open_kb
from restsync.cli.output import write_json
from restsync.document import json_safe
from restsync.errors import ConfigError

SNIPPET_CHARS = 300


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "search", help="hybrid (keyword + vector) search of a knowledge base",
        description="Each hit names its document, title, link and metadata, for citations.")
    parser.add_argument("query", help="what to look for")
    add_kb_arguments(parser)
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
    kb = open_kb(args.kb, must_exist=True, allow_private=allow_private(args))
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
