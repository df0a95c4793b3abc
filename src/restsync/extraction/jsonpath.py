"""RFC 9535 JSONPath for every `*_path` config key, compiled once per distinct path.

Most configs name plain member paths (`$.items`, `$.meta.next_cursor`): those are read by a few
dictionary lookups, and python-jsonpath (with its `regex` dependency, a large share of a short
command's start-up) is imported only when a path needs more (brackets, wildcards, filters).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from restsync.errors import ConfigError

# `$`, then `.name` segments: RFC 9535's member-name shorthand, restricted to ASCII identifiers.
_MEMBER_PATH = re.compile(r"\$((?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
_environment: Any = None  # python-jsonpath's, created on first use; compiled paths are thread-safe


class _Match(NamedTuple):
    obj: Any


class MemberPath:
    """A path of member names only: what python-jsonpath's query gives for it, without it."""

    __slots__ = ("names",)

    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def findall(self, data: Any) -> list[Any]:
        node = data
        for name in self.names:
            if not isinstance(node, Mapping) or name not in node:
                return []
            node = node[name]
        return [node]

    def match(self, data: Any) -> _Match | None:
        found = self.findall(data)
        return _Match(found[0]) if found else None


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
    global _environment
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"JSONPath must be a non-empty string, got {path!r}", key)
    normalized = normalize_path(path)
    plain = _MEMBER_PATH.fullmatch(normalized)
    if plain:
        return MemberPath(tuple(plain.group(1).split(".")[1:]))
    import jsonpath

    if _environment is None:
        _environment = jsonpath.JSONPathEnvironment()
    try:
        return _environment.compile(normalized)
    except jsonpath.JSONPathError as exc:
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
