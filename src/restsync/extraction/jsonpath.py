"""RFC 9535 JSONPath for every `*_path` config key, compiled once per distinct path."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jsonpath as _jsonpath

from restsync.errors import ConfigError

# One environment for the whole process: compiled paths are immutable and safe to share across threads.
_ENVIRONMENT = _jsonpath.JSONPathEnvironment()


def normalize_path(path: str) -> str:
    """Leniently accept paths written without the leading `$` (`data.items` means `$.data.items`)."""
    text = path.strip()
    if text.startswith("$"):
        return text
    if text.startswith("["):
        return "$" + text
    return "$." + text


@lru_cache(maxsize=512)
def compile_path(path: str, key: str | None = None) -> Any:
    """The compiled query for `path`; a malformed path is a ConfigError naming it (and its key)."""
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"JSONPath must be a non-empty string, got {path!r}", key)
    try:
        return _ENVIRONMENT.compile(normalize_path(path))
    except _jsonpath.JSONPathError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"malformed JSONPath {path!r}: {first_line}", key) from None


def find_all(data: Any, path: str, *, key: str | None = None) -> list[Any]:
    """Every value `path` matches in `data`, in document order ([] when nothing matches)."""
    query = compile_path(path, key)
    if isinstance(data, (str, bytes)):
        # python-jsonpath would parse a string as a JSON document: a response body that is a JSON
        # string (`"{"`) must be a value with no members, not text to decode (and fail on).
        return []
    return query.findall(data)


def find_first(data: Any, path: str, *, key: str | None = None) -> Any | None:
    """The first value `path` matches, or None."""
    query = compile_path(path, key)
    if isinstance(data, (str, bytes)):  # see find_all
        return None
    match = query.match(data)
    return None if match is None else match.obj
