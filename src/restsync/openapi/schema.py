"""Reading JSON Schemas inside a description: `allOf` merged, `oneOf`/`anyOf` narrowed to their first
object member, 3.1 type lists and 3.0 `nullable` folded, and object properties flattened to the field
paths a config uses (`user.login`, `labels[*].name`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from restsync.openapi.spec import Spec

FLATTEN_DEPTH = 3


def schema_type(schema: Mapping[str, Any]) -> str | None:
    """The one non-null type (3.1 allows a list); inferred from `properties` / `items` when absent."""
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def merged(spec: Spec, schema: Any, _depth: int = 0) -> dict[str, Any]:
    """The schema with its references followed and its composition folded into one object view."""
    node = spec.deref(schema)
    if not isinstance(node, Mapping) or _depth > 8:
        return {}
    if not any(key in node for key in ("allOf", "oneOf", "anyOf")):
        return dict(node)
    out: dict[str, Any] = {k: v for k, v in node.items() if k not in ("allOf", "oneOf", "anyOf")}
    parts = list(node.get("allOf") or [])
    choices = [merged(spec, option, _depth + 1) for option in (node.get("oneOf") or node.get("anyOf") or [])]
    choices = [c for c in choices if schema_type(c) != "null" and c.get("type") != "null"]
    if choices:
        parts.append(next((c for c in choices if schema_type(c) in ("object", "array")), choices[0]))
    properties = dict(out.get("properties") or {})
    required = list(out.get("required") or [])
    for part in parts:
        sub = merged(spec, part, _depth + 1)
        properties.update(sub.get("properties") or {})
        required += list(sub.get("required") or [])
        for key, value in sub.items():
            if key not in ("properties", "required"):
                out.setdefault(key, value)
    if properties:
        out["properties"] = properties
    if required:
        out["required"] = required
    return out


def properties(spec: Spec, schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(name): merged(spec, sub) for name, sub in (schema.get("properties") or {}).items()}


@dataclass
class SchemaField:
    """One field an item may carry, with what the schema says about it."""

    path: str  # a field path (`user.login`, `labels[*].name`, `['odd.key']`)
    schema: dict[str, Any]
    required: bool
    segments: tuple[str, ...] = ()  # the property names along the way, for JSONPaths

    @property
    def type(self) -> str | None:
        return schema_type(self.schema)

    @property
    def format(self) -> str:
        return str(self.schema.get("format") or "").lower()

    @property
    def enum(self) -> list[Any]:
        values = self.schema.get("enum")
        return [v for v in values if v is not None] if isinstance(values, list) else []

    @property
    def description(self) -> str:
        return str(self.schema.get("description") or "")

    @property
    def leaf(self) -> str:
        """The name that says what the field is: `title.rendered` (WordPress) is a title."""
        from restsync.suggest import WRAPPER_LEAVES

        names = [name.lower() for name in self.segments] or [self.path.lower()]
        if len(names) > 1 and names[-1] in WRAPPER_LEAVES:
            return names[-2]
        return names[-1]

    @property
    def jsonpath(self) -> str:
        """`$.meta.total`, `$['@odata.nextLink']` (for fields outside arrays)."""
        return "$" + "".join(f".{name}" if name.isidentifier() else f"['{name}']" for name in self.segments)

    @property
    def nested(self) -> bool:
        return "." in self.path or "[*]" in self.path

    def describe(self) -> str:
        """`string, date-time` / `integer, unix-time` / `enum open|closed`: the schema facts used."""
        if self.enum:
            return "enum " + "|".join(str(v) for v in self.enum[:6]) + ("|..." if len(self.enum) > 6 else "")
        return ", ".join(part for part in (self.type or "untyped", self.format) if part)


def flatten_schema(spec: Spec, schema: Mapping[str, Any], prefix: str = "", depth: int = FLATTEN_DEPTH,
                   required: bool = True, _ancestors: tuple[frozenset[str], ...] = (),
                   _segments: tuple[str, ...] = ()) -> list[SchemaField]:
    """Scalar fields by dot path; arrays of objects under `[*]`, arrays of scalars as `name[*]`.

    A nested object shaped like one of its ancestors (an article's `parent` article) is a link in a
    recursive structure, not part of the item: it is left out."""
    fields: list[SchemaField] = []
    shape = frozenset(schema.get("properties") or ())
    if depth <= 0 or shape in _ancestors:
        return fields
    ancestors = _ancestors + (shape,)
    required_names = set(schema.get("required") or [])
    for name, sub in properties(spec, schema).items():
        step = name if not any(c in name for c in ".[]'") else f"['{name}']"
        path = (f"{prefix}{step}" if step.startswith("[") else f"{prefix}.{step}") if prefix else step
        names = _segments + (name,)
        is_required = required and name in required_names
        kind = schema_type(sub)
        if kind == "object" and sub.get("properties"):
            fields += flatten_schema(spec, sub, path, depth - 1, is_required, ancestors, names)
        elif kind == "array":
            element = merged(spec, sub.get("items") or {})
            if schema_type(element) == "object" and element.get("properties"):
                fields += flatten_schema(spec, element, f"{path}[*]", depth - 1, False, ancestors, names)
            elif schema_type(element) in ("string", "integer", "number"):
                fields.append(SchemaField(f"{path}[*]", element, False, names))
        elif kind != "object":
            fields.append(SchemaField(path, sub, is_required, names))
    return fields
