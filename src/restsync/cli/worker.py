"""`restsync worker`: take sync jobs from the cluster's queue (the `scale` extra).

    restsync worker --data-dir DIR --database-url postgresql+psycopg://... [--concurrency 2]

Every worker and the server share the state database (PostgreSQL) and the credentials key
(RESTSYNC_SECRET_KEY, or the data directory's key file). With a Milvus index the knowledge bases
live in PostgreSQL too; with the embedded index they are directories in the shared data
directory. See docs/scaling.md.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from restsync.cli.common import ALLOW_PRIVATE_ENV, allow_private

from restsync.cli.common import DEFAULT_DATA_DIR
from restsync.scale.config import DATABASE_URL_ENV, DEFAULT_STALL_AFTER_S, INDEX_URL_ENV


def register(subparsers: Any) -> None:
    worker = subparsers.add_parser(
        "worker", help="take sync jobs from the cluster's queue (scale extra)",
        description="Run scheduled and manual syncs deferred by `restsync serve` to the queue on the state "
                    "database (PostgreSQL). Start as many as needed, on any machine (with a Milvus index the knowledge bases "
                    "live in PostgreSQL; otherwise the machines share the data directory). "
                    "A worker killed mid-sync has its job taken over by another, which resumes from the checkpoint.")
    worker.add_argument("--data-dir", default=DEFAULT_DATA_DIR, metavar="DIR",
                        help="the server's data directory (credentials key; knowledge bases unless they live in PostgreSQL)")
    worker.add_argument("--database-url", default=None, metavar="URL",
                        help=f"the state database, PostgreSQL (or env {DATABASE_URL_ENV})")
    worker.add_argument("--index-url", default=None, metavar="URL",
                        help=f"the search index the server uses (or env {INDEX_URL_ENV})")
    worker.add_argument("--name", default="", help="this worker's name in run records (default host-pid)")
    worker.add_argument("--concurrency", type=int, default=2, metavar="N", help="jobs at once (default %(default)s)")
    worker.add_argument("--stall-after", type=float, default=DEFAULT_STALL_AFTER_S, metavar="S",
                        help="seconds without a heartbeat before a worker's job is taken over (default %(default)s)")
    worker.add_argument("--heartbeat", type=float, default=2.0, metavar="S", help="heartbeat interval (default %(default)s)")
    worker.add_argument("--allow-private", action="store_true", default=None,
                        help=f"let sources reach loopback and private hosts (or {ALLOW_PRIVATE_ENV}=1)")
    worker.set_defaults(handler=run_worker_command)


def run_worker_command(args: argparse.Namespace) -> int:
    from restsync.errors import ConfigError

    database_url = args.database_url or os.environ.get(DATABASE_URL_ENV)
    if not database_url:
        raise ConfigError(f"a worker needs the state database: --database-url or {DATABASE_URL_ENV}", key="database_url")
    try:
        from restsync.scale.worker import WorkerOptions, run_worker
        from restsync.service import ServiceSettings
    except ImportError as exc:
        raise ConfigError(f"a worker needs the scale extra (pip install 'restsync[scale]'): {exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    settings = ServiceSettings(data_dir=Path(args.data_dir), database_url=database_url,
                               index_url=args.index_url or os.environ.get(INDEX_URL_ENV) or None,
                               allow_private=bool(args.allow_private) or allow_private(args))
    options = WorkerOptions(name=args.name, concurrency=args.concurrency, heartbeat_s=args.heartbeat,
                            stall_after_s=args.stall_after, rescue_every_s=min(2.0, args.stall_after / 2))
    run_worker(settings, options)
    return 0
