"""`restsync suggest URL -H 'Authorization: Bearer ...'`: a starting config from one response."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from restsync.cli.common import add_global_flags, allow_private
from restsync.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "suggest", help="propose a source config from one API response",
        description="Fetch one response and propose a config (items path, id/title/content/timestamp/link "
                    "fields, metadata, pagination, auth) as YAML with comments saying why.")
    parser.add_argument("url", help="the list endpoint, with any query string it needs")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                        help="request header (repeatable); credentials become ${ENV} placeholders")
    parser.add_argument("-X", "--request", dest="method", default="GET", choices=["GET", "POST"],
                        type=str.upper, help="HTTP method")
    parser.add_argument("-d", "--data", metavar="JSON", help="JSON request body (POST)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the YAML here (default: stdout)")
    add_global_flags(parser, suppress_defaults=True)
    parser.set_defaults(handler=run)


def parse_headers(raw: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for text in raw:
        name, sep, value = text.partition(":")
        if not sep or not name.strip():
            raise ConfigError(f"expected 'Name: value', got {text.split(':')[0][:40]!r}", key="-H")
        headers[name.strip()] = value.strip()
    return headers


def run(args: argparse.Namespace) -> int:
    from restsync.suggest import suggest_config

    body = None
    if args.data is not None:
        try:
            body = json.loads(args.data)
        except ValueError as exc:
            raise ConfigError(f"not valid JSON ({exc.msg})", key="-d") from None
    method = "POST" if body is not None and args.method == "GET" else args.method  # as curl does
    suggestion = suggest_config(args.url, method=method, headers=parse_headers(args.header), body=body,
                                allow_private=allow_private(args))
    text = suggestion.to_yaml()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"restsync: wrote {args.output}; next: restsync check {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for warning in suggestion.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
