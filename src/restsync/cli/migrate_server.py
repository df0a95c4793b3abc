"""`restsync migrate-server`: move a server from its data directory to PostgreSQL (and Milvus).

    restsync migrate-server --data-dir restsync-data --database-url URL [--index-url milvus://HOST:PORT]
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from restsync.cli.output import write_json
from restsync.cli.common import DEFAULT_DATA_DIR
from restsync.scale.config import DATABASE_URL_ENV, INDEX_URL_ENV


def register(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "migrate-server", help="move a server's state and knowledge bases into PostgreSQL and Milvus (scale extra)",
        description="Copy a stopped server's own state (datasets, connectors and their sealed secrets, API tokens, "
                    "run history, settings) from --data-dir into the PostgreSQL --database-url, ids kept, and with "
                    "an external --index-url every dataset's knowledge base into PostgreSQL and that index too "
                    "(nothing re-embedded, each copy verified). Then start `restsync serve` and the workers with "
                    "the same URLs and the same secret key. Exit 1 when a copy's check fails.")
    command.add_argument("--data-dir", default=DEFAULT_DATA_DIR, metavar="DIR",
                         help="the server's data directory (default %(default)s)")
    command.add_argument("--database-url", default=None, metavar="URL",
                         help=f"the empty PostgreSQL state database to fill (or env {DATABASE_URL_ENV})")
    command.add_argument("--index-url", default=None, metavar="URL",
                         help=f"the index the knowledge bases move to, milvus://... (or env {INDEX_URL_ENV}); "
                              "without one they stay directories in the data directory")
    command.add_argument("--sample", type=int, default=20, metavar="N",
                         help="searches compared per knowledge base (default %(default)s)")
    command.set_defaults(handler=run_migrate_server)


def run_migrate_server(args: argparse.Namespace) -> int:
    from pathlib import Path

    from restsync.errors import ConfigError

    try:
        from restsync.scale.move_server import move_server
    except ImportError as exc:
        raise ConfigError(f"migrate-server needs the scale extra (pip install 'restsync[scale]'): {exc}") from None
    database_url = args.database_url or os.environ.get(DATABASE_URL_ENV)
    if not database_url:
        raise ConfigError(f"give the PostgreSQL state database: --database-url or {DATABASE_URL_ENV}",
                          key="database_url")
    index_url = args.index_url or os.environ.get(INDEX_URL_ENV) or None
    report = move_server(Path(args.data_dir), database_url, index_url, sample=max(args.sample, 0),
                         on_progress=lambda dataset, done: print(f"\r  dataset {dataset}: {done} documents copied",
                                                                 end="", file=sys.stderr))
    print(file=sys.stderr)
    write_json(sys.stdout, report.to_dict())
    return 0 if report.ok else 1
