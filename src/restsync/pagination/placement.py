"""Where a paginator's value goes in a request: a query param, a dotted path in the JSON body, or a header.

Placement is data, not a subclass: every paginator holds `Placement`s for the values it sends.
Query and header values are strings; body values keep their JSON type (Elasticsearch
`search_after` is an array, GraphQL `variables.first` a number).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from restsync.errors import ConfigError
from restsync.http.request import RequestSpec

LOCATIONS = ("query", "body", "header")


@dataclass(frozen=True)
class Placement:
    name: str  # query/header name taken literally (`page[size]`); a dotted path for `body`
    location: str = "query"

    @classmethod
    def of(cls, name: str, location: str | None, key: str) -> Placement:
        """Validate a configured placement; `key` names the config key in error messages."""
        where = (location or "query").strip().lower()
        if where not in LOCATIONS:
            raise ConfigError(f"expected one of {', '.join(LOCATIONS)}, got {location!r}", key)
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"a parameter name is required, got {name!r}", key)
        return cls(name.strip(), where)

    def place(self, req: RequestSpec, value: Any) -> None:
        if self.location == "query":
            req.params[self.name] = as_text(value)
        elif self.location == "header":
            req.headers[self.name] = as_text(value)
        else:
            if req.json is None:
                req.json = {}
            _set_dotted(req.json, self.name.split("."), value)

    def remove(self, req: RequestSpec) -> None:
        """Take the value out again (a resumed walk must not carry a stale cursor)."""
        if self.location == "query":
            req.params.pop(self.name, None)
        elif self.location == "header":
            req.headers.pop(self.name, None)
        elif isinstance(req.json, (dict, list)):
            parts = self.name.split(".")
            parent = _get_dotted(req.json, parts[:-1])
            if isinstance(parent, dict):
                parent.pop(parts[-1], None)

    def describe(self) -> str:
        return f"{self.location} {self.name}" if self.location != "query" else f"param {self.name}"


def as_text(value: Any) -> str:
    """Query and header form: JSON for structured values, lowercase JSON booleans, str otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _set_dotted(container: Any, parts: list[str], value: Any) -> None:
    node = container
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            if last:
                node[int(part)] = value
                return
            node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        else:
            # Overwriting a configured value would silently change the query; say so instead.
            where = ".".join(parts[:index]) or "the body"
            raise ConfigError(f"cannot place {'.'.join(parts)!r}: {where} is not an object", "request_body")


def _get_dotted(container: Any, parts: list[str]) -> Any:
    node = container
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
