"""`restsync mcp --kb DIR`: the MCP tools over stdio, for clients that launch a command
(Claude Desktop, Cursor, agents). No HTTP server is involved; stdout carries only the protocol.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from restsync.cli.common import add_global_flags
from restsync.cli.exit_codes import EXIT_OK
from restsync.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mcp", help="serve a knowledge base to MCP clients over stdio",
        description="Runs an MCP server on stdin/stdout with the tools search, list_knowledge_bases and "
                    "get_document over the knowledge base in --kb. Point an MCP client's command at "
                    "`restsync mcp --kb DIR`. Needs the mcp extra (pip install 'restsync[mcp]').")
    parser.add_argument("--kb", required=True, metavar="DIR", help="knowledge base directory (made by restsync sync)")
    parser.add_argument("--name", metavar="NAME", help="the knowledge base's name in list_knowledge_bases "
                                                       "(default: the directory name)")
    add_global_flags(parser, suppress_defaults=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        from restsync.integrations.mcp_server import run_stdio
    except ImportError as exc:
        raise ConfigError(f"the MCP server needs the mcp extra: pip install 'restsync[mcp]' ({exc})",
                          key="mcp") from None
    from restsync.integrations.backend import LocalBackend

    directory = Path(args.kb)
    if not (directory / "kb.sqlite").is_file():
        raise ConfigError(f"{directory} is not a knowledge base (run `restsync sync CONFIG --kb {directory}` first)",
                          key="--kb")
    backend = LocalBackend(directory, name=args.name)
    try:
        run_stdio(backend)
    finally:
        backend.close()
    return EXIT_OK
