"""`restsync migrate --kb DIR --to URL`: copy an embedded knowledge base into a distributed
index (Milvus) and verify the copy (chunk counts and a sample of searches). Needs the scale extra."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from restsync.cli.output import write_json


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser(
        "migrate", help="copy a knowledge base into a distributed index and verify it (scale extra)",
        description="Write every chunk and vector of an embedded knowledge base into the index at --to "
                    "(milvus://HOST:PORT, milvus+lite:///FILE.db), without re-embedding, then check the index "
                    "holds as many chunks as the knowledge base and that sampled searches agree. Exit 1 when "
                    "the check fails.")
    migrate.add_argument("--kb", required=True, metavar="DIR", help="the knowledge-base directory")
    migrate.add_argument("--to", required=True, metavar="URL", help="the index URL to fill")
    migrate.add_argument("--sample", type=int, default=20, metavar="N", help="searches compared (default %(default)s)")
    migrate.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    from restsync.errors import ConfigError

    try:
        from restsync.scale.migrate import copy_to_index
    except ImportError as exc:
        raise ConfigError(f"migrate needs the scale extra (pip install 'restsync[scale]'): {exc}") from None
    kb_dir = Path(args.kb)
    if not (kb_dir / "kb.sqlite").exists():
        raise ConfigError(f"no knowledge base at {kb_dir}", key="kb")
    report = copy_to_index(kb_dir, args.to, sample=max(args.sample, 0),
                           on_progress=lambda done: print(f"\r  copied {done} documents", end="", file=sys.stderr))
    print(file=sys.stderr)
    write_json(sys.stdout, report.to_dict())
    return 0 if report.ok else 1
