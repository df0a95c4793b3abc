"""What every source command shares: its flags, loading the config and the credentials, the connector."""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from restsync.errors import ConfigError
from restsync.timestamps import parse_iso

DEFAULT_DATA_DIR = "restsync-data"  # the server's directory: state, credentials key, knowledge bases
ALLOW_PRIVATE_ENV = "RESTSYNC_ALLOW_PRIVATE"
ALLOW_PRIVATE_HINT = (f"use --allow-private (or {ALLOW_PRIVATE_ENV}=1) to reach private/loopback addresses "
                      "on purpose")


def add_global_flags(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    """Flags valid before or after the command name (subparsers suppress defaults so they don't clobber)."""
    default = argparse.SUPPRESS if suppress_defaults else False
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks for unexpected errors")
    parser.add_argument("--allow-private", action="store_true", default=default,
                        help=f"allow loopback/private/link-local hosts (also env {ALLOW_PRIVATE_ENV}=1)")


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="source config file (YAML or JSON)")
    parser.add_argument("--strict", action="store_true", help="treat unknown config keys as errors")
    parser.add_argument("--credentials", metavar="FILE",
                        help="YAML/JSON file of secrets, merged into the config's credentials")


def allow_private(args: argparse.Namespace) -> bool:
    if getattr(args, "allow_private", False):
        return True
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def read_credentials_file(path: str) -> dict[str, str]:
    """A flat mapping of secret names to values; the values never reach any output."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", key="--credentials") from None
    except UnicodeDecodeError as exc:  # a binary file: say so, quoting none of it
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start})", key="--credentials") from None
    if path.endswith(".json"):
        parse, errors = json.loads, (ValueError,)
    else:
        import yaml  # only for YAML files: a command's start-up does not pay for it otherwise

        parse, errors = yaml.safe_load, (ValueError, yaml.YAMLError)
    try:
        data = parse(text)
    except errors as exc:
        raise ConfigError(f"{path} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: "
                          f"{str(exc).splitlines()[0]}", key="--credentials") from None
    if isinstance(data, dict) and isinstance(data.get("credentials"), dict):
        data = data["credentials"]  # a file holding `credentials:` as in a config is fine too
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of secret names to values", key="--credentials")
    return {str(key): "" if value is None else str(value) for key, value in data.items()}


def load_source(args: argparse.Namespace) -> Any:
    """The SourceConfig named on the command line (ConfigError names the file or key)."""
    from restsync.config import load_config

    path = Path(args.config)
    if not path.is_file():
        raise ConfigError(f"no such file: {args.config}", key="config")
    return load_config(path, strict=bool(getattr(args, "strict", False)))


def open_connector(args: argparse.Namespace, config: Any | None = None) -> Any:
    """A RestApiConnector for the command's source, with --credentials merged and --allow-private applied."""
    from restsync.connector import RestApiConnector

    config = config if config is not None else load_source(args)
    credentials = read_credentials_file(args.credentials) if getattr(args, "credentials", None) else None
    return RestApiConnector(config, credentials=credentials, allow_private=allow_private(args))


def parse_window(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    """--since/--until as UTC datetimes; an empty or reversed window is a usage error, not 0 documents."""
    since = parse_moment(getattr(args, "since", None), "--since")
    until = parse_moment(getattr(args, "until", None), "--until")
    if since is not None and until is not None and until <= since:
        raise ConfigError(f"{args.until!r} is not later than --since {args.since!r}: the window "
                          "[since, until) would hold no time at all", key="--until")
    return since, until


def parse_moment(value: str | None, flag: str) -> datetime | None:
    """An ISO 8601 date or date-time from --since/--until; zone-less means UTC."""
    if value is None:
        return None
    moment = parse_iso(value)
    if moment is None:
        raise ConfigError(f"{value!r} is not an ISO 8601 date or date-time", key=flag)
    return moment
