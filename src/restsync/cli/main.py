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

# Each command's name and the module that registers it, in the order `--help` lists them.
COMMANDS = {
    "check": "restsync.cli.check",
    "preview": "restsync.cli.preview",
    "fetch": "restsync.cli.fetch",
    "sync": "restsync.cli.sync",
    "search": "restsync.cli.search",
    "status": "restsync.cli.status",
    "suggest": "restsync.cli.suggest",
    "demo": "restsync.cli.demo",
    "demo-api": "restsync.cli.demo",
    "serve": "restsync.cli.serve",
    "token": "restsync.cli.serve",
    "worker": "restsync.cli.worker",
    "migrate": "restsync.cli.migrate",
    "migrate-server": "restsync.cli.migrate_server",
    "mcp": "restsync.cli.mcp",
    "import-ragflow": "restsync.cli.import_ragflow",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


# Commands beyond the connector core: skipped when their module or its extra dependencies are
# missing, so check/preview/fetch keep working with the core dependencies alone.
OPTIONAL_MODULES = frozenset({"restsync.cli.sync", "restsync.cli.search", "restsync.cli.status",
                              "restsync.cli.serve", "restsync.cli.mcp"})


def _command_modules(names: Sequence[str] = COMMAND_MODULES) -> list[ModuleType]:
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            if name not in OPTIONAL_MODULES:
                raise
    return modules


def _named_command(argv: Sequence[str]) -> str | None:
    """The command an argument list names: the first word that is not a flag (the global flags
    take no value), when it is a known command."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the arguments, only the parser of the command they name, when
    they name one: importing every command module (the knowledge base's, numpy, the server's) would
    otherwise be most of a `fetch`'s start-up."""
    parser = argparse.ArgumentParser(
        prog="restsync",
        description="Turn any REST API into a searchable knowledge base, by configuration alone.",
        epilog="exit status: 0 complete, 1 failed, 2 bad config or usage, 3 truncated",
    )
    add_global_flags(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    command = _named_command(argv) if argv is not None else None
    modules = _command_modules((COMMANDS[command],)) if command else []
    for module in modules or _command_modules():  # an optional command's extra missing: as without a name
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
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
