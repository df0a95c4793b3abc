"""`restsync fetch CONFIG --out docs.jsonl`: every document as JSON lines, streamed (flat memory).

The file is written under a temporary name and renamed when the walk ends, so a failed fetch
never replaces a good earlier file; the partial file is kept and named in the error summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, TextIO

from restsync.cli.common import add_global_flags, add_source_arguments, open_connector, parse_window
from restsync.cli.exit_codes import EXIT_OK, EXIT_TRUNCATED
from restsync.cli.progress import Progress

if TYPE_CHECKING:
    from restsync.document import Document

OUT_BUFFER = 1 << 18  # bytes collected before each write to the output file

UNFILTERABLE_WINDOW = ("--since/--until cannot filter anything: the config has no poll_timestamp_field "
                       "(so documents carry no timestamp) and no {poll_start}/{poll_end} placeholder (so the "
                       "API is not asked either); every document is written. Set poll_timestamp_field, or put "
                       "the placeholders in url, query_params or request_body")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fetch", help="write every document as JSON lines",
        description="Walk every page and write each document (id, semantic_identifier, content, metadata, "
                    "doc_updated_at, link, source) as one JSON line. Exit 0 complete, 1 failed, "
                    "2 bad config, 3 truncated (max_pages or a pagination loop).")
    add_source_arguments(parser)
    add_global_flags(parser, suppress_defaults=True)
    parser.add_argument("-o", "--out", metavar="FILE", help="output file (default: stdout)")
    parser.add_argument("--since", metavar="ISO", help="only documents updated at or after this time")
    parser.add_argument("--until", metavar="ISO", help="only documents updated before this time")
    parser.add_argument("--quiet", action="store_true", help="no progress line, only the summary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from restsync.connector.window import WINDOW_IGNORED  # the connector loads only when a command runs

    since, until = parse_window(args)
    connector = open_connector(args)
    if (since is not None or until is not None) and connector.window_rule == WINDOW_IGNORED:
        print(f"warning: {UNFILTERABLE_WINDOW}", file=sys.stderr)
        since = until = None  # nothing could apply it: the walk is the full listing it would be anyway
    progress = Progress(sys.stderr, label="fetch", quiet=args.quiet)
    connector.on_progress = progress.follow
    target = Path(args.out) if args.out else None
    partial = target.with_name(target.name + ".part") if target else None
    count = 0
    try:
        # Bytes straight from the encoder: a text stream would decode each line only to encode it again.
        with (open(partial, "wb", buffering=OUT_BUFFER) if partial else _stdout()) as stream:
            encode = document_line_encoder()
            for document in connector.iter_documents(since, until):
                stream.write(encode(document))
                count += 1
    except BaseException:
        if not args.quiet:
            progress.finish()
        if partial and partial.exists():
            print(f"restsync: {count} documents written to {partial} before the failure", file=sys.stderr)
        raise
    finally:
        connector.close()
    if partial and target:
        os.replace(partial, target)
    report = connector.report
    progress.update(pages=report.pages, documents=count)
    if not args.quiet:
        progress.finish()
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    where = f" to {target}" if target else ""
    if report.truncated:
        print(f"restsync: TRUNCATED: {count} documents from {report.pages} pages{where}; "
              f"stopped early: {report.truncation_reason}", file=sys.stderr)
        return EXIT_TRUNCATED
    print(f"restsync: complete: {count} documents from {report.pages} pages{where}", file=sys.stderr)
    return EXIT_OK


def document_line_encoder() -> Callable[[Document], bytes]:
    """One compact JSON line per document (its `to_dict()`), UTF-8: msgspec (the `fast` extra) when
    installed, the same bytes from the standard json module otherwise."""
    from restsync.document import plainly_finite

    try:
        from msgspec.json import Encoder
    except ImportError:
        return lambda document: (json.dumps(document.to_dict(), ensure_ascii=False, separators=(",", ":"))
                                 + "\n").encode("utf-8")
    encode = Encoder().encode

    def line(document: Document) -> bytes:
        # msgspec writes a dataclass field by field, in order, and a UTC time as `format_utc` does:
        # the bytes of to_dict() without building the dict (~2 µs a document). Metadata that JSON
        # cannot hold as it is, or a time in another zone, goes through to_dict().
        moment = document.doc_updated_at
        if (moment is None or moment.tzinfo is timezone.utc) and plainly_finite(document.metadata):
            return encode(document) + b"\n"
        return encode(document.to_dict()) + b"\n"

    return line


class _stdout:
    """stdout's bytes as a context manager that flushes instead of closing; a stdout replaced by a
    text-only stream (no `.buffer`) gets the lines decoded."""

    def __enter__(self) -> BinaryIO | "_TextSink":
        sys.stdout.flush()  # anything written as text before goes first
        buffer = getattr(sys.stdout, "buffer", None)
        return buffer if buffer is not None else _TextSink(sys.stdout)

    def __exit__(self, *exc: object) -> None:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            buffer.flush()
        sys.stdout.flush()


class _TextSink:
    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data.decode("utf-8"))
