"""The `--kb` option of the knowledge-base commands, and opening the knowledge base it names."""

from __future__ import annotations

import argparse
from typing import Any

from restsync.cli.common import add_global_flags
from restsync.errors import ConfigError


def add_kb_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", required=True, metavar="DIR", help="knowledge base directory (created if missing)")
    parser.add_argument("--json", action="store_true", help="print one JSON value on stdout")
    add_global_flags(parser, suppress_defaults=True)


def open_kb(path: str, *, must_exist: bool = False, settings: dict[str, Any] | None = None,
             allow_private: bool = False) -> Any:
    """Open (sync: create) the knowledge base; reading commands never create an empty one by mistake.
    `settings` are changes over what the knowledge base already keeps."""
    from dataclasses import replace
    from pathlib import Path

    from restsync.kb import KnowledgeBase

    if must_exist and not Path(path).is_dir():
        raise ConfigError(f"no knowledge base at {path}", key="--kb")
    try:
        # Reading commands open read-only: they work on a read-only mount and never create files.
        kb = KnowledgeBase.open(path, read_only=must_exist, allow_private=allow_private)
    except OSError as error:  # e.g. a path below a file: a usage problem, named as such
        raise ConfigError(f"cannot open a knowledge base at {path}: {error.strerror or error}", key="--kb") from None
    if not settings:
        return kb
    if "chunk_tokens" in settings and "chunk_overlap" not in settings:
        settings["chunk_overlap"] = None  # re-derived from the new size
    updated = replace(kb.settings, **settings)
    kb.close()
    return KnowledgeBase.open(path, settings=updated, allow_private=allow_private)
