"""`restsync suggest URL -H 'Authorization: Bearer ...'`: a starting config from one response."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

from restsync.cli.common import add_global_flags, allow_private
from restsync.cli.exit_codes import EXIT_OK
from restsync.cli.suggest_openapi import add_openapi_arguments, run_openapi
from restsync.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "suggest", help="propose a source config from one API response or an OpenAPI description",
        description="Fetch one response and propose a config (items path, id/title/content/timestamp/link "
                    "fields, metadata, pagination, auth) as YAML with comments saying why. With --openapi, "
                    "list a description's collection endpoints and propose a config for the chosen ones, "
                    "checked against the live API when it is reachable.")
    parser.add_argument("url", nargs="?", help="the list endpoint, with any query string it needs")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                        help="request header (repeatable); credentials become ${ENV} placeholders")
    parser.add_argument("-X", "--request", dest="method", default="GET", choices=["GET", "POST"],
                        type=str.upper, help="HTTP method")
    parser.add_argument("-d", "--data", metavar="JSON", help="JSON request body (POST)")
    parser.add_argument("-u", "--user", metavar="USER:PASSWORD",
                        help="basic auth, as curl takes it; the config gets ${ENV} placeholders, never the secret")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the YAML here (default: stdout); a directory for several --openapi configs")
    add_openapi_arguments(parser)
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


def parse_user(raw: str | None) -> dict[str, str]:
    """`-u USER:PASSWORD` as an Authorization header (an empty password is fine: `-u sk_test_123:`)."""
    if raw is None:
        return {}
    user, sep, password = raw.partition(":")
    if not sep or not user:
        raise ConfigError("expected USER:PASSWORD (an empty password is written USER:)", key="-u")
    token = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def run(args: argparse.Namespace) -> int:
    from restsync.suggest import suggest_config

    if args.openapi:
        return run_openapi(args)
    if not args.url:
        raise ConfigError("give the list endpoint's URL, or --openapi SPEC", key="url")
    if args.operation or args.path or args.server or args.all:
        raise ConfigError("--operation, --path, --server and --all go with --openapi", key="--openapi")
    headers = {**parse_headers(args.header), **parse_user(args.user)}
    body = None
    if args.data is not None:
        try:
            body = json.loads(args.data)
        except ValueError as exc:
            raise ConfigError(f"not valid JSON ({exc.msg})", key="-d") from None
    method = "POST" if body is not None and args.method == "GET" else args.method  # as curl does
    suggestion = suggest_config(args.url, method=method, headers=headers, body=body,
                                allow_private=allow_private(args))
    text = suggestion.to_yaml()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"restsync: wrote {args.output}; next: restsync check {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    for warning in suggestion.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK
