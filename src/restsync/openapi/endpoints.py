"""Collection endpoints in a description: GET operations whose success response is a JSON array of
objects, directly or under a property (`data`, `items`, `values`, ... or one level further down)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from restsync.errors import ConfigError
from restsync.openapi.schema import merged, properties, schema_type
from restsync.openapi.spec import Spec

# Where lists of items usually sit, best first; a property not named here still counts.
ITEM_KEYS = ("data", "items", "results", "records", "values", "value", "entries", "elements", "list",
             "hits", "objects", "content", "nodes", "edges", "rows")
NOT_ITEMS = ("errors", "warnings", "links", "_links", "messages", "facets", "aggregations", "included")
MAX_ENVELOPE_FIELDS = 10
SUCCESS = ("200", "2XX", "2xx", "203", "206", "201")


@dataclass
class Endpoint:
    path: str
    operation: dict[str, Any]
    path_item: dict[str, Any]
    parameters: list[dict[str, Any]]  # resolved; the operation's own win over the path's
    response: dict[str, Any]  # the success response object
    status: str
    body_schema: dict[str, Any]  # merged schema of the JSON body
    items_path: str  # JSONPath: `$` for a top-level array
    item_schema: dict[str, Any]
    media_type: str
    notes: list[str] = field(default_factory=list)

    @property
    def operation_id(self) -> str | None:
        value = self.operation.get("operationId")
        return str(value) if value else None

    @property
    def label(self) -> str:
        return self.operation_id or f"GET {self.path}"

    @property
    def summary(self) -> str:
        return " ".join(str(self.operation.get("summary") or self.operation.get("description") or "").split())[:80]

    def parameter(self, location: str) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p.get("in") == location]


def list_collections(spec: Spec) -> list[Endpoint]:
    """Every GET operation that lists items, in the description's order."""
    found = []
    for path, raw_item in (spec.document.get("paths") or {}).items():
        item = spec.deref(raw_item)
        if not isinstance(item, Mapping) or not isinstance(item.get("get"), Mapping):
            continue
        endpoint = collection_endpoint(spec, str(path), dict(item))
        if endpoint is not None:
            found.append(endpoint)
    return found


def choose(spec: Spec, *, operation: str | None = None, path: str | None = None) -> Endpoint:
    """The collection endpoint named by operationId or path template; a clear error otherwise."""
    key = "--operation" if operation else "--path"
    wanted = operation or path or ""
    collections = list_collections(spec)
    for endpoint in collections:
        if operation and endpoint.operation_id == operation:
            return endpoint
        if path and endpoint.path.rstrip("/") == "/" + path.strip().lstrip("/").rstrip("/"):
            return endpoint
    known = ", ".join(e.operation_id or e.path for e in collections[:12]) or "none"
    for raw_path, raw_item in (spec.document.get("paths") or {}).items():
        item = spec.deref(raw_item)
        get = spec.deref(item.get("get")) if isinstance(item, Mapping) else None
        if isinstance(get, Mapping) and (get.get("operationId") == operation or (path and raw_path == path)):
            raise ConfigError(f"GET {raw_path} does not return a JSON array of objects, so it lists no items; "
                              f"collection endpoints: {known}", key)
    raise ConfigError(f"no GET operation {wanted!r} in the description; collection endpoints: {known}", key)


def collection_endpoint(spec: Spec, path: str, item: dict[str, Any]) -> Endpoint | None:
    operation = spec.deref(item["get"])
    status, response = _success_response(spec, operation)
    if response is None:
        return None
    media_type, schema = _body_schema(spec, response)
    if schema is None:
        return None
    body = merged(spec, schema)
    found = find_items(spec, body)
    if found is None:
        return None
    if found[0] != "$" and re.search(r"\{[^/{}]+\}/?$", path):
        return None  # `/issues/{number}`: one resource, whatever lists it holds (its labels)
    items_path, item_schema = found
    return Endpoint(path=path, operation=dict(operation), path_item=item, parameters=_parameters(spec, item, operation),
                    response=response, status=status, body_schema=body, items_path=items_path,
                    item_schema=item_schema, media_type=media_type)


def find_items(spec: Spec, body: dict[str, Any], prefix: str = "$", depth: int = 2) -> tuple[str, dict] | None:
    """(JSONPath, item schema) of the array of objects in a response body, or None."""
    if schema_type(body) == "array":
        element = merged(spec, body.get("items") or {})
        return (prefix, element) if _is_object(element) else None
    if depth <= 0:
        return None
    props = properties(spec, body)
    arrays = [(name, merged(spec, sub.get("items") or {})) for name, sub in props.items()
              if schema_type(sub) == "array" and name.lower() not in NOT_ITEMS]
    arrays = [(name, element) for name, element in arrays if _is_object(element)]
    # An envelope holds its list beside a few counters and links; an object with many fields of its
    # own is one resource whose list is a detail of it (an issue's labels), unless the name says list.
    arrays = [(name, element) for name, element in arrays if name.lower() in ITEM_KEYS
              or len(props) - len(arrays) <= MAX_ENVELOPE_FIELDS]
    if arrays:
        name, element = min(arrays, key=lambda pair: _rank(pair[0]))
        return _key_path(prefix, name), element
    for name, sub in sorted(props.items(), key=lambda pair: _rank(pair[0])):
        if schema_type(sub) == "object" and name.lower() not in NOT_ITEMS:
            nested = find_items(spec, sub, _key_path(prefix, name), depth - 1)
            if nested is not None:
                return nested
    return None


def _rank(name: str) -> int:
    lowered = name.lower()
    return ITEM_KEYS.index(lowered) if lowered in ITEM_KEYS else len(ITEM_KEYS)


def _is_object(schema: Mapping[str, Any]) -> bool:
    return schema_type(schema) == "object" or bool(schema.get("properties"))


def _key_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if name.isidentifier() else f"{prefix}['{name}']"


def _success_response(spec: Spec, operation: Mapping[str, Any]) -> tuple[str, dict | None]:
    # YAML reads an unquoted `200:` as a number: compare codes as text.
    responses = {str(code): value for code, value in (operation.get("responses") or {}).items()}
    ordered = [c for c in SUCCESS if c in responses] + [c for c in responses if c.startswith("2") and c not in SUCCESS]
    for code in ordered + (["default"] if "default" in responses else []):
        response = spec.deref(responses[code])
        if isinstance(response, Mapping):
            return code, dict(response)
    return "", None


def _body_schema(spec: Spec, response: Mapping[str, Any]) -> tuple[str, Any]:
    if spec.is_swagger2:
        produces = spec.document.get("produces") or ["application/json"]
        json_like = not produces or any("json" in str(p) or p == "*/*" for p in produces)
        return ("application/json", response.get("schema")) if json_like else ("", None)
    content = response.get("content") or {}
    for media in sorted(content, key=lambda m: (m != "application/json", "json" not in m, m != "*/*")):
        if "json" in media or media == "*/*":
            entry = spec.deref(content[media]) or {}
            return media, entry.get("schema")
    return "", None


def _parameters(spec: Spec, item: Mapping[str, Any], operation: Mapping[str, Any]) -> list[dict]:
    merged_params: dict[tuple[str, str], dict] = {}
    for raw in list(item.get("parameters") or []) + list(operation.get("parameters") or []):
        param = spec.deref(raw)
        if isinstance(param, Mapping) and param.get("name"):
            merged_params[(str(param.get("in")), str(param["name"]))] = dict(param)
    return list(merged_params.values())


def parameter_schema(spec: Spec, param: Mapping[str, Any]) -> dict[str, Any]:
    """A parameter's schema: 3.x keeps it under `schema`, 2.0 inlines `type`, `enum`, `default`."""
    if "schema" in param:
        return merged(spec, param["schema"])
    return {k: v for k, v in param.items() if k in ("type", "format", "enum", "default", "maximum", "minimum", "items")}
