"""Which item properties play which role (id, title, content, timestamp, link, metadata), read from
their names, types, formats and enums."""

from __future__ import annotations

import re
from typing import Any

from restsync.openapi.endpoints import Endpoint
from restsync.openapi.paging import normalise
from restsync.openapi.schema import SchemaField, flatten_schema
from restsync.openapi.spec import Spec
from restsync.suggest import (
    CONTENT_NAMES,
    CREATED_NAMES,
    ID_NAMES,
    LINK_NAMES,
    LONG_TEXT,
    MAX_METADATA,
    NAME_LEAVES,
    TITLE_NAMES,
    UPDATED_NAMES,
    Suggestion,
)

# Names that mean "the item's web page" even without `format: uri` (Microsoft Graph's webLink).
PAGE_LINK_NAMES = ("html_url", "htmlurl", "web_url", "weburl", "weblink", "permalink")
LINK_NAMES = PAGE_LINK_NAMES + tuple(name for name in LINK_NAMES if name not in PAGE_LINK_NAMES)
METADATA_NAMES = ("status", "state", "type", "kind", "category", "priority", "language", "locale", "lang",
                  "visibility", "section", "severity", "currency", "country", "tags", "labels", "topics")
EPOCH_WORDS = ("epoch", "unix", "seconds since", "milliseconds since")
_NAME_LEAVES = {normalise(name) for name in NAME_LEAVES}  # displayName as well as display_name


def infer_fields(spec: Spec, endpoint: Endpoint, suggestion: Suggestion) -> None:
    fields = flatten_schema(spec, endpoint.item_schema)
    if not fields:
        suggestion.warnings.append("the item schema names no properties: set id_field and content_fields by hand")
        return
    used: set[str] = set()
    id_field = _pick(fields, ID_NAMES, lambda f: f.type in ("string", "integer") and not f.enum)
    if id_field:
        suggestion.choose("id_field", id_field.path, f"'{id_field.path}' ({id_field.describe()}"
                          f"{', required' if id_field.required else ''}) names each item")
        used.add(id_field.path)
    else:
        suggestion.warnings.append("no id property found: ids will be hashes of each item's content")
    title = _pick(fields, TITLE_NAMES, lambda f: f.type == "string" and not f.enum and f.path not in used)
    if title:
        suggestion.choose("title_field", title.path, f"'{title.path}' is a {title.describe()} named like a title")
        used.add(title.path)
    content = [f for f in fields if f.path not in used and _is_content(f)]
    content.sort(key=lambda f: (CONTENT_NAMES.index(f.leaf) if f.leaf in CONTENT_NAMES else len(CONTENT_NAMES),
                                f.path.count(".")))
    if any(not f.nested for f in content):
        content = [f for f in content if not f.nested]  # a category's description is not the item's text
    content = _one_per_variant(content)[:3]
    content_paths = ([title.path] if title else []) + [f.path for f in content]
    if content_paths:
        why = ", ".join(f"'{f.path}' ({f.describe()})" for f in content) or "no longer text property"
        suggestion.choose("content_fields", content_paths, f"the title, then text properties: {why}")
        used.update(content_paths)
    else:
        suggestion.warnings.append("no text property found for content_fields: set them by hand")
    by_depth = sorted(fields, key=lambda f: f.path.count("."))
    stamp = (_pick(fields, UPDATED_NAMES, _is_time)
             or next((f for f in by_depth if _is_time(f) and re.search("updat|modif|edited", f.leaf)), None)
             or _pick(fields, CREATED_NAMES, _is_time)
             or next((f for f in by_depth if _is_time(f) and not f.nested), None))
    if stamp:
        kind = "last-update" if stamp.leaf in UPDATED_NAMES or re.search("updat|modif|edited", stamp.leaf) \
            else "creation (no last-update property found)"
        suggestion.choose("poll_timestamp_field", stamp.path, f"'{stamp.path}' ({stamp.describe()}) is a {kind} time")
        used.add(stamp.path)
    link = _pick(fields, LINK_NAMES, lambda f: f.type == "string" and (f.format in ("uri", "url") or
                                                                         f.leaf in PAGE_LINK_NAMES))
    if link:
        page = " (possibly the API's own URL of the item: prefer a web page if there is one)" \
            if link.leaf in ("url", "self", "href") else ""
        suggestion.choose("link_field", link.path, f"'{link.path}' ({link.describe()}) links the item{page}")
        used.add(link.path)
    metadata = sorted((f for f in fields if f.path not in used and _metadata_rank(f) is not None),
                      key=lambda f: (_metadata_rank(f), f.path.count(".")))
    if metadata:
        chosen = [f.path for f in metadata[:MAX_METADATA]]
        kinds = sorted({_metadata_kind(f) for f in metadata[:MAX_METADATA]})
        suggestion.choose("metadata_fields", chosen, f"metadata candidates: {', '.join(kinds)}")


def _one_per_variant(fields: list[SchemaField]) -> list[SchemaField]:
    """`body`, `body_html` and `body_text` hold one text three ways: keep the best-ranked one."""
    kept: dict[str, SchemaField] = {}
    for f in fields:
        kept.setdefault(re.sub(r"_(html|text|markdown|md|plain)$", "", f.path), f)
    return list(kept.values())


def _pick(fields: list[SchemaField], names: tuple[str, ...], accept: Any) -> SchemaField | None:
    ranked = [(names.index(f.leaf), f.path.count("."), not f.required, i) for i, f in enumerate(fields)
              if f.leaf in names and "[*]" not in f.path and accept(f)]
    return fields[min(ranked)[3]] if ranked else None


def _is_content(f: SchemaField) -> bool:
    if f.type != "string" or f.enum or "[*]" in f.path or f.format in ("uri", "url", "date-time", "date", "uuid",
                                                                          "email", "byte", "binary"):
        return False
    if f.format in ("html", "markdown") or f.leaf.endswith(("_html", "_markdown", "_text")):
        return True
    max_length = f.schema.get("maxLength")
    if isinstance(max_length, int) and max_length < LONG_TEXT:
        return False
    return f.leaf in CONTENT_NAMES


def _is_time(f: SchemaField) -> bool:
    if "[*]" in f.path:
        return False
    if f.type == "string" and f.format in ("date-time", "date"):
        return True
    if f.type in ("integer", "number"):
        if f.format in ("unix-time", "timestamp", "epoch"):
            return True
        return f.leaf in UPDATED_NAMES + CREATED_NAMES and any(w in f.description.lower() for w in EPOCH_WORDS)
    return False


def _metadata_rank(f: SchemaField) -> int | None:
    """Lower is better; None: not a metadata candidate."""
    leaf = f.leaf
    if leaf in ID_NAMES or leaf.endswith(("id", "_url", "url")) or f.format in ("uri", "url", "date-time", "date"):
        return None
    if f.nested:  # nested: only readable names (author.name, labels[*].name) and short enums
        if f.enum and "[*]" not in f.path:
            return 1
        return 2 if normalise(leaf) in _NAME_LEAVES and f.type == "string" else None
    if len(f.enum) == 1:
        return None  # one possible value tells documents apart from nothing
    if f.enum:
        return 0
    if f.type == "boolean":
        return 3
    if f.type == "string" and (leaf in METADATA_NAMES or _short(f)):
        return 1 if leaf in METADATA_NAMES else 4
    return None


def _short(f: SchemaField) -> bool:
    max_length = f.schema.get("maxLength")
    return isinstance(max_length, int) and max_length <= LONG_TEXT


def _metadata_kind(f: SchemaField) -> str:
    if f.enum:
        return "enums"
    if f.nested:
        return "nested names"
    if f.type == "boolean":
        return "booleans"
    return "short strings"


