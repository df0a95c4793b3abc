"""`restsync` command line: argument parsing, dispatch, and the mapping of errors to exit statuses.

Each command lives in its own module exposing `register(subparsers)`; the parser it adds sets
`handler` (or `func`) to a callable taking the parsed arguments and returning an exit status.

Exit statuses (`exit_codes.py`): 0 complete, 1 failed, 2 bad config or usage, 3 truncated (max_pages or a loop).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from types import ModuleType
from typing import Sequence

# httpx imports its own command line (rich, pygments, click: ~50 ms of every start-up) whenever
# those packages are installed; restsync never calls it. A None entry makes that import fail
# quietly, as httpx expects where they are missing. Only when httpx is not loaded yet.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)

from restsync.cli.common import ALLOW_PRIVATE_HINT, add_global_flags  # noqa: E402
from restsync.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE  # noqa: E402
from restsync.errors import BlockedAddressError, ConfigError, RestSyncError, SourceError  # noqa: E402

# Command modules in the order `--help` lists them.
COMMAND_MODULES = (
    "restsync.cli.check",
    "restsync.cli.preview",
    "restsync.cli.fetch",
    "restsync.cli.sync",
    "restsync.cli.search",
    "restsync.cli.status",
    "restsync.cli.suggest",
    "restsync.cli.demo",
    "restsync.cli.serve",
    "restsync.cli.worker",
    "restsync.cli.migrate",
    "restsync.cli.mcp",
    "restsync.cli.import_ragflow",
)


# Commands beyond the connector core: skipped when their module or its extra dependencies are
# missing, so check/preview/fetch keep working with the core dependencies alone.
OPTIONAL_MODULES = frozenset({"restsync.cli.sync", "restsync.cli.search", "restsync.cli.status",
                              "restsync.cli.serve", "restsync.cli.mcp"})


def _command_modules() -> list[ModuleType]:
    modules = []
    for name in COMMAND_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            if name not in OPTIONAL_MODULES:
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="restsync",
        description="Turn any REST API into a searchable knowledge base, by configuration alone.",
        epilog="exit status: 0 complete, 1 failed, 2 bad config or usage, 3 truncated",
    )
    add_global_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler = getattr(args, "handler", None) or getattr(args, "func", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    debug = bool(getattr(args, "debug", False))
    try:
        status = handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BlockedAddressError as exc:
        return _fail(exc, "config error", EXIT_USAGE, debug, hint=ALLOW_PRIVATE_HINT)
    except ConfigError as exc:
        return _fail(exc, "config error", EXIT_USAGE, debug)
    except SourceError as exc:
        return _fail(exc, "source error", EXIT_FAILED, debug)
    except RestSyncError as exc:
        return _fail(exc, "error", EXIT_FAILED, debug)
    except OSError as exc:
        return _fail(exc, "error", EXIT_FAILED, debug)
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        return _fail(exc, f"internal error ({type(exc).__name__})", EXIT_FAILED, debug,
                     hint="run again with --debug for the traceback")
    return EXIT_OK if status is None else int(status)


def _fail(exc: BaseException, label: str, status: int, debug: bool, hint: str | None = None) -> int:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    message = str(exc).strip() or type(exc).__name__
    print(f"restsync: {label}: {' '.join(message.split())}", file=sys.stderr)
    if hint and not debug:
        print(f"  hint: {hint}", file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
