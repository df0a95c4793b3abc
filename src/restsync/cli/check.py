"""`restsync check CONFIG`: is the config valid, does auth pass, where are the items, which fields exist."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from restsync.cli.common import (
    ALLOW_PRIVATE_HINT,
    add_global_flags,
    add_source_arguments,
    load_source,
    open_connector,
)
from restsync.cli.output import render_check, write_json
from restsync.diagnostics import CheckReport, PreviewReport, check_failed, run_check
from restsync.errors import RestSyncError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="validate a source config against page 1 of the API",
        description="Config validity, auth result, HTTP status, items on page 1, detected pagination, "
                    "and which configured fields exist in the items. Exit 0 ok, 1 failed, 2 bad config.")
    add_source_arguments(parser)
    add_global_flags(parser, suppress_defaults=True)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def diagnose(args: argparse.Namespace, runner: Callable[[Any], Any]) -> Any:
    """Load, connect and run a diagnostic. Every restsync error (bad config, refused address, a host
    that does not resolve) becomes a failed report, so the config section and its warnings are
    always shown, and `--json` always writes a report."""
    config = None
    try:
        config = load_source(args)
        connector = open_connector(args, config)
    except RestSyncError as exc:
        return _with_cli_hints(check_failed(exc, config))
    try:
        return _with_cli_hints(runner(connector))
    finally:
        connector.close()


def _with_cli_hints(result: Any) -> Any:
    """Add what only the command line can say: the flag that allows a refused private address."""
    report = result.check if isinstance(result, PreviewReport) else result
    if report.failed_step == "address" and ALLOW_PRIVATE_HINT not in report.hints:
        report.hints.append(ALLOW_PRIVATE_HINT)
    return result


def run(args: argparse.Namespace) -> int:
    report: CheckReport = diagnose(args, run_check)
    if args.json:
        write_json(sys.stdout, report.to_dict())
    else:
        sys.stdout.write(render_check(report))
    return report.exit_status
