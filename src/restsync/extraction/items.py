"""Finding the items in a response: by `items_path` (JSONPath) or by auto-detection.

Entries that are not JSON objects cannot become documents; they are dropped but counted, so the
caller can report them instead of losing them silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync.extraction.jsonpath import find_all, normalize_path

WELL_KNOWN_KEYS = ("items", "results", "data", "records")


@dataclass(slots=True)
class ItemSelection:
    items: list[dict] = field(default_factory=list)
    dropped: int = 0  # entries that were not objects
    path: str | None = None  # the path used, e.g. `$.results`; None when nothing was found
    matched: bool = True  # False when items_path matched nothing or no list was found at all

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def _objects(entries: list[Any], path: str | None) -> ItemSelection:
    items = [entry for entry in entries if isinstance(entry, dict)]
    return ItemSelection(items, len(entries) - len(items), path)


def _key_path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if key.isidentifier() else f"{parent}['{key}']"


def _first_list(data: Mapping[str, Any], parent: str) -> tuple[list[Any], str] | None:
    """The list under a well-known key, else the first list value, in the object's key order."""
    for key in WELL_KNOWN_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            return value, _key_path(parent, key)
    for key, value in data.items():
        if isinstance(value, list):
            return value, _key_path(parent, str(key))
    return None


def detect_items(data: Any) -> ItemSelection:
    """RAGFlow's order (`items`, `results`, `data`, `records`, then the first list value), plus one
    level down for envelopes such as `{"data": {"items": [...]}}` when the top level has no list."""
    if isinstance(data, list):
        return _objects(data, "$")
    if not isinstance(data, Mapping):
        return ItemSelection(matched=False)
    found = _first_list(data, "$")
    if found is None:
        nested = [key for key in WELL_KNOWN_KEYS if isinstance(data.get(key), Mapping)]
        nested += [key for key, value in data.items() if isinstance(value, Mapping) and key not in nested]
        for key in nested:
            found = _first_list(data[key], _key_path("$", str(key)))
            if found is not None:
                break
    if found is None:
        return ItemSelection(matched=False)
    return _objects(*found)


def select_items(data: Any, items_path: str | None) -> ItemSelection:
    """The items of one response. With `items_path`: a path matching one list gives that list,
    several matches give every matched object. Without: auto-detection (see `detect_items`)."""
    if items_path is None or not str(items_path).strip():
        return detect_items(data)
    matches = find_all(data, items_path, key="items_path")
    path = normalize_path(items_path)
    if not matches:
        return ItemSelection(path=path, matched=False)
    if len(matches) == 1 and isinstance(matches[0], list):
        return _objects(matches[0], path)
    entries: list[Any] = []
    for match in matches:
        # `$.groups[*].items` matches one list per group: their entries are all items.
        if isinstance(match, list):
            entries.extend(match)
        else:
            entries.append(match)
    return _objects(entries, path)
