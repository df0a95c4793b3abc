"""`restsync migrate`: move a knowledge base between the embedded setup and the distributed one
(PostgreSQL store, Milvus index), without re-embedding, and verify the copy. Needs the scale extra.

    restsync migrate --kb DIR --to milvus://HOST:PORT                       # the index only
    restsync migrate --kb DIR --to milvus://HOST:PORT --database-url URL    # store and index
    restsync migrate --kb DIR --from milvus://HOST:PORT --database-url URL  # back to DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from restsync.cli.output import write_json
from restsync.scale.config import DATABASE_URL_ENV


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser(
        "migrate", help="copy a knowledge base into the distributed setup or back, and verify it (scale extra)",
        description="--to: write every chunk and vector of the embedded knowledge base in --kb into the index at "
                    "--to (milvus://HOST:PORT, milvus+lite:///FILE.db); with a PostgreSQL --database-url, copy its "
                    "whole store there too (the distributed setup). --from: copy a knowledge base stored in "
                    "PostgreSQL back into the empty directory --kb. Nothing is re-embedded; document and chunk "
                    "counts and sampled searches are compared. Exit 1 when the check fails.")
    migrate.add_argument("--kb", required=True, metavar="DIR", help="the embedded knowledge-base directory")
    direction = migrate.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", metavar="URL", help="the index URL to fill (copy into the distributed setup)")
    direction.add_argument("--from", dest="from_url", metavar="URL",
                           help="the index URL of the distributed setup to copy back from (needs --database-url)")
    migrate.add_argument("--database-url", default=None, metavar="URL",
                         help=f"the PostgreSQL state database holding knowledge bases (or env {DATABASE_URL_ENV})")
    migrate.add_argument("--name", default=None,
                         help="the knowledge base's name in PostgreSQL (default: datasets/ID for a server's dataset "
                              "directory, else the directory's name)")
    migrate.add_argument("--sample", type=int, default=20, metavar="N", help="searches compared (default %(default)s)")
    migrate.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    from restsync.errors import ConfigError

    try:
        from restsync.scale import migrate
    except ImportError as exc:
        raise ConfigError(f"migrate needs the scale extra (pip install 'restsync[scale]'): {exc}") from None
    kb_dir = Path(args.kb)
    if args.database_url and not args.database_url.startswith("postgresql"):
        raise ConfigError("knowledge bases live in the state database only when it is PostgreSQL", key="database_url")
    database_url = args.database_url or os.environ.get(DATABASE_URL_ENV) or None
    if database_url and not database_url.startswith("postgresql"):
        database_url = None  # SQLite state: knowledge bases stay directories
    sample = max(args.sample, 0)
    progress = lambda done: print(f"\r  copied {done} documents", end="", file=sys.stderr)  # noqa: E731
    if args.from_url:
        if not database_url:
            raise ConfigError(f"--from copies a knowledge base out of PostgreSQL: set --database-url or "
                              f"{DATABASE_URL_ENV} (with an embedded store, open the directory without an index URL)",
                              key="database_url")
        report = migrate.copy_from_cluster(kb_dir, database_url, args.from_url, name=args.name, sample=sample,
                                           on_progress=progress)
    else:
        if not migrate.has_store(kb_dir):
            raise ConfigError(f"no knowledge base at {kb_dir}", key="kb")
        if database_url:
            report = migrate.copy_to_cluster(kb_dir, database_url, args.to, name=args.name, sample=sample,
                                             on_progress=progress)
        else:
            report = migrate.copy_to_index(kb_dir, args.to, sample=sample, on_progress=progress)
    print(file=sys.stderr)
    write_json(sys.stdout, report.to_dict())
    return 0 if report.ok else 1
