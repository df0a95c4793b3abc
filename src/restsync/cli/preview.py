"""`restsync preview CONFIG -n 5`: check, then the first documents exactly as they will be ingested."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from restsync.cli.check import diagnose
from restsync.cli.common import add_global_flags, add_source_arguments
from restsync.cli.output import render_preview, write_json
from restsync.diagnostics import PreviewReport, run_preview


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "preview", help="check, then show the first documents as they will be ingested",
        description="Everything check shows, the first N documents of page 1 as they will be ingested, "
                    "and warnings about them (no id field, empty content, unparseable timestamps ...).")
    add_source_arguments(parser)
    add_global_flags(parser, suppress_defaults=True)
    parser.add_argument("-n", "--limit", type=int, default=5, metavar="N", help="documents to show (default 5)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    result = diagnose(args, lambda connector: run_preview(connector, args.limit))
    report = result if isinstance(result, PreviewReport) else PreviewReport(check=result)
    if args.json:
        write_json(sys.stdout, report.to_dict())
    else:
        sys.stdout.write(render_preview(report))
    return report.exit_status
