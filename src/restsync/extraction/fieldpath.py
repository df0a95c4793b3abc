"""Field paths (`id_field`, `content_fields`, ...): `a.b`, `a[0]`, `a[-1]`, `a[*].b`, `['odd.key']`.

A hand-written accessor rather than a JSONPath engine: this runs several times per item on the
hot path, so each path is parsed once into a tuple of steps and a specialised getter.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from restsync.errors import ConfigError
from restsync.timestamps import parse_timestamp

WILDCARD = object()  # a `[*]` step

_MISSING = object()
_STEP = re.compile(
    r"""
    \[\s*(?P<index>[+-]?\d+)\s*\]            # [3], [-1]
  | \[\s*(?P<star>\*)\s*\]                   # [*]
  | \[\s*(?P<quote>['"])(?P<quoted>.*?)(?P=quote)\s*\]   # ['key.with.dots']
  | \.?(?P<name>[^.\[\]]+)                   # name, .name
    """,
    re.VERBOSE,
)

Step = str | int | object  # a key, an index, or WILDCARD


def parse_field_path(path: str, key: str | None = None) -> tuple[Step, ...]:
    """Split a field path into steps; a path that cannot be read is a ConfigError naming it."""
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"field path must be a non-empty string, got {path!r}", key)
    text = path.strip()
    steps: list[Step] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None or match.end() == position:
            raise ConfigError(f"cannot read field path {path!r} at character {position + 1}", key)
        if match.group("index") is not None:
            steps.append(int(match.group("index")))
        elif match.group("star") is not None:
            steps.append(WILDCARD)
        elif match.group("quote") is not None:
            steps.append(match.group("quoted"))
        else:
            steps.append(match.group("name").strip())
        position = match.end()
    return tuple(steps)


def _step_into(value: Any, step: Step) -> Any:
    """One non-wildcard step; lenient: a numeric key indexes a list (`a.0.b`)."""
    if isinstance(value, Mapping):
        if isinstance(step, int):
            return value.get(str(step), _MISSING)
        return value.get(step, _MISSING)
    if isinstance(value, list):
        if isinstance(step, str):
            if not step.lstrip("-").isdigit():
                return _MISSING
            step = int(step)
        try:
            return value[step]
        except IndexError:
            return _MISSING
    return _MISSING


def _collect(value: Any, steps: tuple[Step, ...], start: int, out: list[Any]) -> None:
    """Depth-first walk for paths with `[*]`: matches are appended in document order, flattened."""
    for position in range(start, len(steps)):
        step = steps[position]
        if step is WILDCARD:
            if isinstance(value, list):
                elements = value
            elif isinstance(value, Mapping):
                elements = list(value.values())
            else:
                return
            for element in elements:
                _collect(element, steps, position + 1, out)
            return
        value = _step_into(value, step)
        if value is _MISSING:
            return
    if value is None:
        return
    if isinstance(value, list):  # a list at the end of a wildcard path joins the flat result
        out.extend(element for element in value if element is not None)
    else:
        out.append(value)


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A compiled field path. `get(item)` gives RAGFlow's raw shape (one match: the value; several
    `[*]` matches: a flat list; missing or null: None)."""

    path: str
    steps: tuple[Step, ...]
    has_wildcard: bool
    get: Callable[[Any], Any]  # a specialised closure, called directly on the hot path


def _general_getter(steps: tuple[Step, ...], path: str) -> Callable[[Any], Any]:
    has_wildcard = WILDCARD in steps

    def general_getter(item: Any) -> Any:
        if has_wildcard:
            out: list[Any] = []
            _collect(item, steps, 0, out)
            value = (out[0] if len(out) == 1 else out) if out else _MISSING
        else:
            value = item
            for step in steps:
                value = _step_into(value, step)
                if value is _MISSING:
                    break
        if (value is _MISSING or value is None) and isinstance(item, Mapping):
            # Flattened APIs name keys with dots ("meta.count"); only looked up on a miss.
            value = item.get(path)
        return None if value is _MISSING else value

    return general_getter


def _make_getter(steps: tuple[Step, ...], path: str) -> Callable[[Any], Any]:
    """Fast closures for the shapes that dominate real configs (`a`, `a.b`, `a[*].b`); anything
    else, and any miss on a fast path, goes through the general walker."""
    general = _general_getter(steps, path)
    shape = tuple("*" if step is WILDCARD else type(step).__name__ for step in steps)
    if shape == ("str",):
        (name,) = steps

        def top_level_getter(item: Any) -> Any:
            return item.get(name) if type(item) is dict else general(item)

        return top_level_getter
    if shape == ("str", "str"):
        outer, inner = steps

        def nested_getter(item: Any) -> Any:
            if type(item) is dict:
                value = item.get(outer)
                if type(value) is dict:
                    found = value.get(inner)
                    if found is not None:
                        return found
            return general(item)

        return nested_getter
    if shape == ("str", "*", "str"):
        outer, _, inner = steps

        def list_of_key_getter(item: Any) -> Any:
            if type(item) is dict:
                elements = item.get(outer)
                if type(elements) is list:
                    out = []
                    for element in elements:
                        if type(element) is not dict:
                            return general(item)
                        found = element.get(inner)
                        if found is None:
                            continue
                        if type(found) is list:
                            out.extend(value for value in found if value is not None)
                        else:
                            out.append(found)
                    if out:
                        return out[0] if len(out) == 1 else out
            return general(item)

        return list_of_key_getter
    return general


@lru_cache(maxsize=1024)
def compile_field_path(path: str, key: str | None = None) -> FieldPath:
    steps = parse_field_path(path, key)
    return FieldPath(path=path, steps=steps, has_wildcard=WILDCARD in steps, get=_make_getter(steps, path))


def get_field(item: Any, path: str) -> Any:
    """Raw value at `path`: the value for one match, a flat list for several `[*]` matches, None if missing."""
    return compile_field_path(path).get(item)


# --- type hints -----------------------------------------------------------------------------

HINT_ALIASES = {
    "string": "string", "str": "string", "text": "string",
    "number": "number", "int": "number", "integer": "number", "float": "number", "double": "number",
    "date": "date", "datetime": "date", "timestamp": "date",
}  # fmt: skip  (the names `field_type_hints` accepts; restsync.config reads them from here)

BadValueCallback = Callable[[str, Any, str], None]  # (path, value, hint)


def canonical_hint(hint: str) -> str | None:
    """`number`, `string` or `date` for a hint name (aliases accepted), else None."""
    return HINT_ALIASES.get(hint.strip().lower()) if isinstance(hint, str) else None


def _to_number(value: Any) -> Any:
    if isinstance(value, bool):
        return _MISSING
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and "_" not in value:  # int() and float() accept "1_000"
        try:
            return int(value)
        except ValueError:
            pass
        try:
            number = float(value)
        except ValueError:
            return _MISSING
        return number if math.isfinite(number) else _MISSING
    return _MISSING


def _to_string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _to_date(value: Any) -> Any:
    moment = parse_timestamp(value)
    return _MISSING if moment is None else moment


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "number": _to_number, "string": _to_string, "date": _to_date,
}


def apply_type_hint(value: Any, hint: str | None, path: str = "", on_bad_value: BadValueCallback | None = None) -> Any:
    """Convert `value` (each element of a list) per `hint`; what cannot convert is kept as-is and reported."""
    if value is None or not hint:
        return value
    convert = _CONVERTERS.get(hint)
    if convert is None:
        canonical = canonical_hint(hint)
        if canonical is None:
            return value
        hint, convert = canonical, _CONVERTERS[canonical]
    if isinstance(value, list):
        return [apply_type_hint(element, hint, path, on_bad_value) for element in value]
    converted = convert(value)
    if converted is _MISSING:
        if on_bad_value is not None:
            on_bad_value(path, value, hint)
        return value
    return converted


def get_typed(
    item: Any,
    path: str,
    hints: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    *,
    on_bad_value: BadValueCallback | None = None,
) -> Any:
    """`get_field`, then `field_default_values` when missing, then `field_type_hints`.

    A value that cannot be converted is returned unchanged and passed to `on_bad_value`
    (the mapper counts these as warnings); this never raises for bad data.
    """
    value = get_field(item, path)
    if value is None and defaults and path in defaults:
        value = defaults[path]
    if hints:
        hint = hints.get(path)
        if hint is not None:
            value = apply_type_hint(value, hint, path, on_bad_value)
    return value
