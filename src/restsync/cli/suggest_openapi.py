"""`restsync suggest --openapi SPEC [--operation ID | --path PATH]`: configs from an OpenAPI description.

Without a choice it lists the collection endpoints; with one (or `--all`) it writes a config per
endpoint, checked against the live API when it can be reached, and says what that check found.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from restsync.cli.common import allow_private
from restsync.cli.exit_codes import EXIT_FAILED, EXIT_OK
from restsync.errors import ConfigError


def add_openapi_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("OpenAPI import")
    group.add_argument("--openapi", metavar="SPEC",
                       help="an OpenAPI 3.x or Swagger 2.0 description (file or URL, YAML or JSON): lists its "
                            "collection endpoints, or writes configs for the chosen ones")
    group.add_argument("--operation", action="append", default=[], metavar="ID",
                       help="operationId of an endpoint to write a config for (repeatable)")
    group.add_argument("--path", action="append", default=[], metavar="PATH",
                       help="path template of an endpoint, e.g. '/repos/{owner}/{repo}/issues' (repeatable)")
    group.add_argument("--all", action="store_true", help="a config for every collection endpoint (-o DIR)")
    group.add_argument("--server", metavar="URL", help="the API's base URL, instead of the description's servers")
    group.add_argument("--no-check", dest="live_check", action="store_false",
                       help="do not check the configs against the live API")


def run_openapi(args: argparse.Namespace) -> int:
    from restsync.cli.suggest import parse_headers, parse_user
    from restsync.openapi import choose, list_collections, load_spec, suggest_from_openapi

    if args.url:
        raise ConfigError("give either the endpoint's URL or --openapi SPEC, not both", key="url")
    if args.data is not None or args.method != "GET":
        raise ConfigError("--openapi lists GET collection endpoints: -X and -d do not apply", key="--openapi")
    headers = {**parse_headers(args.header), **parse_user(args.user)}
    private = allow_private(args)
    spec = load_spec(args.openapi, allow_private=private)
    if args.all:
        chosen = list_collections(spec)
    else:
        chosen = [choose(spec, operation=op) for op in args.operation] + [choose(spec, path=p) for p in args.path]
    if not chosen:
        return _list(spec, args.openapi)
    results = suggest_from_openapi(spec, chosen, server=args.server, check=args.live_check, allow_private=private,
                                   credentials=credentials_from_flags(headers))
    _write(results, args.output)
    failed = False
    for result in results:
        live = result.live
        outcome = "not checked (--no-check)" if live is None else {
            "ok": "checked against the live API", "skipped": "not checked against the live API",
            "unreachable": "the live API could not be reached",
            "mismatch": "the live API does not answer as described", "failed": "the live check failed"}[live.outcome]
        print(f"restsync: {result.endpoint.label}: {outcome}", file=sys.stderr)
        for line in live.lines if live is not None else []:
            print(f"  {line}", file=sys.stderr)
        for warning in result.suggestion.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        failed = failed or (live is not None and not live.ok)
    return EXIT_FAILED if failed else EXIT_OK


def credentials_from_flags(headers: dict[str, str]) -> dict[str, str]:
    """Secrets given with -H / -u, used for the live check only (the config gets placeholders)."""
    import base64

    credentials: dict[str, str] = {}
    for name, value in headers.items():
        scheme, _, secret = value.partition(" ")
        if name.lower() == "authorization" and scheme.lower() == "bearer":
            credentials["token"] = secret.strip()
        elif name.lower() == "authorization" and scheme.lower() == "basic":
            user, _, password = base64.b64decode(secret.strip()).decode("utf-8", "replace").partition(":")
            credentials.update(username=user, password=password)
        elif any(word in name.lower() for word in ("key", "token", "secret", "auth")):
            credentials["api_key"] = value
    return credentials


def _list(spec: Any, source: str) -> int:
    from restsync.openapi import list_collections

    title = (spec.document.get("info") or {}).get("title") or source
    kind = f"Swagger {spec.version}" if spec.is_swagger2 else f"OpenAPI {spec.version}"
    collections = list_collections(spec)
    if not collections:
        print(f"restsync: no collection endpoints in {title} ({kind}): no GET operation returns a JSON array "
              "of objects", file=sys.stderr)
        return EXIT_FAILED
    print(f"Collection endpoints in {title} ({kind}): {len(collections)}")
    width = max(len(_choice(e)) for e in collections)
    for endpoint in collections:
        items = "the response" if endpoint.items_path == "$" else endpoint.items_path
        print(f"  {_choice(endpoint):<{width}}  GET {endpoint.path}  items: {items}"
              + (f"  - {endpoint.summary}" if endpoint.summary else ""))
    print(f"next: restsync suggest --openapi {source} --operation ID (or --path PATH, or --all -o DIR) "
          "-o source.yaml", file=sys.stderr)
    return EXIT_OK


def _choice(endpoint: Any) -> str:
    return f"--operation {endpoint.operation_id}" if endpoint.operation_id else f"--path {endpoint.path}"


def _write(results: list[Any], output: str | None) -> None:
    texts = [(result.endpoint, result.suggestion.to_yaml()) for result in results]
    if output is None:
        sys.stdout.write("---\n".join(text for _, text in texts))
        return
    target = Path(output)
    if len(texts) == 1 and not target.is_dir():
        target.write_text(texts[0][1], encoding="utf-8")
        print(f"restsync: wrote {target}; next: restsync check {target}", file=sys.stderr)
        return
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{len(texts)} configs need a directory, and {output} is a file", key="-o")
    target.mkdir(parents=True, exist_ok=True)
    for endpoint, text in texts:
        path = target / f"{_slug(endpoint)}.yaml"
        path.write_text(text, encoding="utf-8")
        print(f"restsync: wrote {path}; next: restsync check {path}", file=sys.stderr)


def _slug(endpoint: Any) -> str:
    name = endpoint.operation_id or endpoint.path
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "endpoint"
