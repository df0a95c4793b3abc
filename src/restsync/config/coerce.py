"""Lenient value coercions, as RAGFlow's UI sends them.

RAGFlow's web form stores text boxes as strings: headers as `key=value` lines, field lists as
comma strings, numbers as numeric strings. Every function here accepts those forms as well as
the native ones, treats an empty string as "unset", and raises ConfigError naming `key` (the
dotted config path) when a value cannot be understood.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from restsync.errors import ConfigError


def is_unset(value: Any) -> bool:
    """None and blank strings both mean "not configured" (the UI sends "" for empty boxes)."""
    return value is None or (isinstance(value, str) and not value.strip())


def stringify(value: Any) -> str:
    """The text form of a header or query value: JSON spelling for bools, null and containers."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def text_to_dict(value: Any, key: str, warnings: list[str] | None = None) -> dict[str, Any]:
    """A dict, a JSON-object string, or `key=value` lines (`#` comments) -> dict (values raw).

    A malformed line is reported as a warning rather than dropped silently; RAGFlow ignored it,
    so it is not an error (its configs must keep loading).
    """
    if is_unset(value):
        return {}
    if isinstance(value, Mapping):
        return {str(k).strip(): v for k, v in value.items()}
    if isinstance(value, list):
        return _pairs_to_dict(value, key)
    if not isinstance(value, str):
        raise ConfigError(f"expected a mapping, a JSON object or key=value lines, got {value!r}", key)
    text = value.strip()
    if text.startswith("{"):
        parsed = parse_json_text(text, key)
        if not isinstance(parsed, dict):
            raise ConfigError("expected a JSON object", key)
        return {str(k).strip(): v for k, v in parsed.items()}
    result: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, rest = line.partition("=")
        if not sep or not name.strip():
            if warnings is not None:
                warnings.append(f"{key}: line {number} {line!r} is not key=value; ignored")
            continue
        result[name.strip()] = rest.strip()
    return result


def _pairs_to_dict(pairs: list[Any], key: str) -> dict[str, Any]:
    """Postman-style rows: `[{"key": k, "value": v}, ...]` or `[[k, v], ...]`."""
    result: dict[str, Any] = {}
    for index, pair in enumerate(pairs):
        if isinstance(pair, Mapping) and "key" in pair:
            result[str(pair["key"]).strip()] = pair.get("value")
        elif isinstance(pair, (list, tuple)) and len(pair) == 2:
            result[str(pair[0]).strip()] = pair[1]
        else:
            raise ConfigError(f"expected {{key, value}} rows or [key, value] pairs, got {pair!r}", f"{key}[{index}]")
    return result


def text_to_str_dict(value: Any, key: str, warnings: list[str] | None = None) -> dict[str, str]:
    """Like `text_to_dict`, with every value stringified (headers, query parameters)."""
    return {name: stringify(item) for name, item in text_to_dict(value, key, warnings).items()}


def field_list(value: Any, key: str) -> list[str]:
    """A list or a comma string of field paths -> trimmed list without empties."""
    if is_unset(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return field_list(parse_json_text(text, key), key)
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        fields = []
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)) or item is None:
                raise ConfigError(f"expected a field path string, got {item!r}", f"{key}[{index}]")
            text = stringify(item).strip()
            if text:
                fields.append(text)
        return fields
    raise ConfigError(f"expected a list or a comma-separated string, got {value!r}", key)


def json_value(value: Any, key: str) -> Any:
    """A request body: dict/list as is, or a JSON string parsed. Unset -> None."""
    if is_unset(value):
        return None
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        return parse_json_text(value.strip(), key)
    raise ConfigError(f"expected a JSON object or array, got {value!r}", key)


def parse_json_text(text: str, key: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", key) from None
    except RecursionError:
        raise ConfigError(f"JSON nested deeper than {JSON_TEXT_MAX_DEPTH} levels", key) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ConfigError(f"invalid JSON: {exc}".split(";")[0], key) from None
    check_depth(value, key, JSON_TEXT_MAX_DEPTH)
    return value


JSON_TEXT_MAX_DEPTH = 64
# Integer settings beyond 2**53 cannot survive JSON (or a float) exactly: no real setting needs them.
MAX_INTEGER = 2**53
MAX_CONFIG_VALUES = 1_000_000


def check_depth(value: Any, key: str, limit: int) -> None:
    """Refuse dicts and lists nested more than `limit` levels, naming the top-level key below `key`.

    Iterative, so the check itself cannot overflow the stack it protects; a structure that
    contains itself (possible from the library) is infinitely deep, so it is refused too.
    """
    stack: list[tuple[Any, int, str]] = [(value, 1, key)]
    visited = 0
    while stack:
        node, depth, where = stack.pop()
        if depth > limit:
            raise ConfigError(f"nested deeper than {limit} levels", where or None)
        visited += 1
        if visited > MAX_CONFIG_VALUES:  # shared sub-structures can multiply what a walk visits
            raise ConfigError(f"holds more than {MAX_CONFIG_VALUES:,} values", where or None)
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for name, child in children:
            if isinstance(child, (dict, list)):
                child_key = where or str(name)  # errors name the top-level key: deep paths are unreadable
                stack.append((child, depth + 1, child_key))


def optional_str(value: Any, key: str) -> str | None:
    """A scalar setting as text; blank -> None. Numbers are accepted (`id_field: 0` is odd but valid)."""
    if is_unset(value):
        return None
    if isinstance(value, (dict, list, bool)):
        raise ConfigError(f"expected a string, got {value!r}", key)
    return stringify(value).strip()


def integer(value: Any, key: str, *, minimum: int | None = None, expected: str = "an integer") -> int | None:
    """An int or a numeric string ("10", "10.0"); blank -> None. Bools are not numbers here."""
    if is_unset(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value  # exact: no detour through float for big integers
    else:
        number = _to_number(value, key, expected)
        if not number.is_integer():
            raise ConfigError(f"expected {expected}, got {_shown(value)}", key)
        result = int(number)
    if abs(result) > MAX_INTEGER:
        raise ConfigError(f"expected {expected}, got a number too large to use", key)
    if minimum is not None and result < minimum:
        raise ConfigError(f"{_leaf(key)} must be {expected}, got {_shown(value)}", key)
    return result


def number(
    value: Any, key: str, *, minimum: float | None = None, exclusive: bool = False, expected: str = "a number",
    maximum: float | None = None,
) -> float | None:
    """A finite float from a number or a numeric string; blank -> None."""
    if is_unset(value):
        return None
    result = _to_number(value, key, expected)
    if minimum is not None and (result < minimum or (exclusive and result == minimum)):
        raise ConfigError(f"{_leaf(key)} must be {expected}, got {_shown(value)}", key)
    if maximum is not None and result > maximum:
        raise ConfigError(f"{_leaf(key)} must be at most {maximum:g}, got {_shown(value)}", key)
    return result


def _to_number(value: Any, key: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"expected {expected}, got {_shown(value)}", key)
    try:
        result = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise ConfigError(f"expected {expected}, got {_shown(value)}", key) from None
    except OverflowError:  # an int too large for a float
        raise ConfigError(f"expected {expected}, got a number too large to use", key) from None
    if not math.isfinite(result):
        raise ConfigError(f"expected {expected}, got {_shown(value)}", key)
    return result


_SHOWN_CHARS = 40


def _shown(value: Any) -> str:
    """`value` for a message, cut short: a 5,000-digit number must not become a 5,000-digit error."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "a very large integer"  # str() of a 5,000-digit int even raises
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def choice(value: Any, key: str, allowed: tuple[str, ...], default: str, *, label: str | None = None) -> str:
    """One of `allowed` (case-insensitive); blank -> default. The error lists the choices."""
    if is_unset(value):
        return default
    text = stringify(value).strip()
    if text.lower() in allowed:
        return text.lower()
    raise ConfigError(f"Unsupported {label or _leaf(key)} {text!r}. Expected one of: {', '.join(allowed)}.", key)


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1]
