"""`restsync serve`: the HTTP API, web UI and scheduler in one process; `restsync token ...` offline.

    restsync serve [--host 127.0.0.1] [--port 8700] [--data-dir ./restsync-data] [--allow-private] [--demo]
    restsync token create NAME --data-dir DIR      # prints the new token once
    restsync token list   --data-dir DIR
    restsync token revoke ID --data-dir DIR        # --database-url URL: state in PostgreSQL

The first start creates the data directory, the secret key for credentials at rest and an admin
token, printed once (only its hash is kept).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path
from typing import Any

from restsync.cli.common import ALLOW_PRIVATE_ENV, DEFAULT_DATA_DIR
from restsync.cli.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from restsync.cli.output import write_json
from restsync.scale.config import DEFAULT_STALL_AFTER_S

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve", help="run the HTTP API, web UI and scheduler",
        description="Serve the JSON API (/api/v1, RAGFlow-compatible), the web UI (/) and the scheduler. "
                    "The first start creates the data directory, the credentials key and an admin token, "
                    "printed once. SIGTERM or Ctrl-C stop running syncs at a page boundary; the next start "
                    "resumes them.")
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default %(default)s: this machine only)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    serve.add_argument("--public-host", action="append", default=[], metavar="NAME",
                       help="a name clients reach the server by (reverse proxy, or with --host 0.0.0.0); "
                            "the MCP endpoint refuses other Host headers. Repeatable")
    serve.add_argument("--data-dir", default=DEFAULT_DATA_DIR, metavar="DIR",
                       help="state, secret key and knowledge bases (default ./%(default)s)")
    serve.add_argument("--allow-private", action="store_true", default=None,
                       help=f"let sources reach loopback and private hosts (or {ALLOW_PRIVATE_ENV}=1)")
    serve.add_argument("--max-concurrent-syncs", type=int, metavar="N", help="syncs running at once (default 2)")
    serve.add_argument("--demo", action="store_true",
                       help="also serve the offline demo API and register it as a source of a 'demo' knowledge base")
    serve.add_argument("--demo-embedder", metavar="NAME",
                       help="embedder of the demo knowledge base when it is created (default all-MiniLM-L6-v2; "
                            "'hashing' needs no model)")
    serve.add_argument("--database-url", metavar="URL",
                       help="state database (default a SQLite file in the data directory; or env RESTSYNC_DATABASE_URL)")
    serve.add_argument("--index-url", metavar="URL",
                       help="search index: milvus://HOST:PORT (default each knowledge base's own; or env RESTSYNC_INDEX_URL)")
    serve.add_argument("--queue", choices=["threads", "procrastinate"],
                       help="where syncs run: this process's threads (default) or jobs for `restsync worker` "
                            "(or env RESTSYNC_QUEUE); see docs/scaling.md")
    serve.add_argument("--stall-after", type=float, default=DEFAULT_STALL_AFTER_S, metavar="S",
                       help="with the procrastinate queue: seconds without a heartbeat before a worker is taken for "
                            "dead, so that a cancel closes its runs at once; as the workers' --stall-after "
                            "(default %(default)s)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(handler=run_serve)

    token = subparsers.add_parser("token", help="create, list or revoke API tokens (offline)",
                                  description="Manage API tokens in a data directory; the server need not run.")
    actions = token.add_subparsers(dest="token_command", metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it (shown only this once)")
    create.add_argument("name", nargs="?", default="cli", help="a label for the token (default %(default)s)")
    listing = actions.add_parser("list", help="list tokens (never the tokens themselves)")
    revoke = actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", help="the token's id (from `token list`)")
    for parser in (create, listing, revoke):
        parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, metavar="DIR",
                            help="the server's data directory (default ./%(default)s)")
        parser.add_argument("--database-url", metavar="URL",
                            help="the server's state database, where it is not the data directory's SQLite file "
                                 "(or env RESTSYNC_DATABASE_URL)")
        parser.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(handler=run_token_create)
    listing.set_defaults(handler=run_token_list)
    revoke.set_defaults(handler=run_token_revoke)
    token.set_defaults(handler=lambda args: _usage(token))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


# -- serve -------------------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from restsync.server import create_app
        from restsync.service import Service, ServiceSettings
    except ImportError as exc:
        from restsync.errors import ConfigError

        raise ConfigError(f"the server needs the server extra (pip install 'restsync[server]'): {exc}") from None
    from restsync.cli.common import allow_private

    data_dir = Path(args.data_dir)
    first_start = not (data_dir / "restsync.db").exists()
    demo_api = None
    if args.demo:
        from restsync.demo.server import DemoApiServer

        demo_api = DemoApiServer()
        demo_api.start()

    from restsync.scale.config import DATABASE_URL_ENV, INDEX_URL_ENV, queue_kind, resolve

    database_url = resolve(args.database_url, DATABASE_URL_ENV, os.environ)
    queue = queue_kind(args.queue, os.environ, database_url)
    settings = ServiceSettings(data_dir=data_dir, allow_private=bool(args.allow_private) or allow_private(args),
                               max_concurrent_syncs=args.max_concurrent_syncs,
                               demo_url=demo_api.url if demo_api else None, database_url=database_url,
                               index_url=resolve(args.index_url, INDEX_URL_ENV, os.environ),
                               scheduler=queue == "threads")  # with a queue, the workers schedule
    try:
        if queue == "procrastinate":
            from restsync.scale.worker import queue_service

            service, _ = queue_service(settings, stall_after_s=args.stall_after)
        else:
            service = Service(settings)
        service.start()  # resume interrupted runs before anything new is queued
        token = _first_token(service)
        app = create_app(service=service, close_service=True, host=args.host, port=args.port,
                         public_hosts=args.public_host)
        url = f"http://{_url_host(args.host)}:{args.port}"
        if first_start:
            print(f"created data directory {data_dir} (state, secret key for credentials, knowledge bases)")
        if token:
            print(f"admin API token (shown once, stored as a hash): {token}")
        elif demo_api is None:
            print(f"log in with an API token; `restsync token create NAME --data-dir {data_dir}` makes a new one")
        if demo_api is not None:
            from restsync.cli.demo_server import register_demo

            demo_token = register_demo(service, demo_api.url, embedder=args.demo_embedder)
            print(f"demo API at {demo_api.url}; knowledge base 'demo' syncing from it")
            print(f"demo login token: {demo_token}")
        _warn_if_exposed(args.host)
        print(f"restsync server at {url}  (API {url}/api/v1, docs {url}/docs; Ctrl-C to stop)", flush=True)
        config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level,
                                lifespan="on", server_header=False)
        server = uvicorn.Server(config)
        try:
            server.run()
            if not server.started:  # the port was taken, or the app failed to start: uvicorn said why
                return EXIT_FAILED
        finally:
            service.close()  # already closed by the app's shutdown unless uvicorn failed to start
        return EXIT_OK
    finally:
        if demo_api is not None:
            demo_api.stop()


def _first_token(service: Any) -> str | None:
    if service.tokens.has_any():
        return None
    _, token = service.tokens.create("admin")
    return token


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _warn_if_exposed(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        print(f"warning: listening on {host}, reachable from other machines over plain HTTP; "
              "put a TLS-terminating proxy in front so tokens and session cookies are not sent in clear",
              file=sys.stderr)


# -- token -------------------------------------------------------------------------------------------


def _token_store(args: argparse.Namespace) -> Any:
    from restsync.clock import SystemClock
    from restsync.errors import ConfigError
    from restsync.scale.config import DATABASE_URL_ENV, resolve
    from restsync.service.db import open_database
    from restsync.service.service import DATABASE_FILE
    from restsync.service.tokens import TokenStore

    url = resolve(args.database_url, DATABASE_URL_ENV, os.environ)
    if url is None:
        path = Path(args.data_dir) / DATABASE_FILE
        if not path.is_file():
            raise ConfigError(f"no restsync data directory at {args.data_dir} (start `restsync serve --data-dir "
                              f"{args.data_dir}` once, or pass the right --data-dir or --database-url)", key="--data-dir")
        url = f"sqlite:///{path}"
    try:
        engine, sessions = open_database(url)
    except ConfigError:
        raise
    except Exception as error:  # the driver's error tree; its first line names the cause, never the password
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise ConfigError(f"cannot open the state database: {reason}", key="--database-url") from error
    return engine, TokenStore(sessions, SystemClock())


def run_token_create(args: argparse.Namespace) -> int:
    engine, store = _token_store(args)
    try:
        info, token = store.create(args.name)
    finally:
        engine.dispose()
    if args.json:
        write_json(sys.stdout, {**info.to_dict(), "token": token})
    else:
        print(token)
        print(f"token {info.id} ({info.name}) created; it is shown only now", file=sys.stderr)
    return EXIT_OK


def run_token_list(args: argparse.Namespace) -> int:
    engine, store = _token_store(args)
    try:
        tokens = store.list()
    finally:
        engine.dispose()
    if args.json:
        write_json(sys.stdout, [info.to_dict() for info in tokens])
        return EXIT_OK
    for info in tokens:
        state = "revoked" if info.revoked_at else "active"
        print(f"{info.id}  {info.prefix}...  {state:7}  {info.name}")
    if not tokens:
        print("no tokens", file=sys.stderr)
    return EXIT_OK


def run_token_revoke(args: argparse.Namespace) -> int:
    engine, store = _token_store(args)
    try:
        info = store.revoke(args.id)
    finally:
        engine.dispose()
    if args.json:
        write_json(sys.stdout, info.to_dict())
    else:
        print(f"token {info.id} ({info.name}) revoked")
    return EXIT_OK
