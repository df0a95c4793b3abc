"""Metadata filters: parsing `key op value` and normalising metadata values for comparison.

Every metadata value is indexed as (text, number): `text` for exact string equality and
`number` for ranges, where numbers, numeric strings and ISO dates (as epoch seconds) get a
number. A list value is indexed once per element, so `tags=a` matches a document tagged a.
Infinities (`"Infinity"`, `"-Infinity"`, as the document contract writes them, or a literal
too large for a double, like 1e400) order past every number; NaN has no order and no number.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator

from restsync.document import NEGATIVE_INFINITY, POSITIVE_INFINITY, json_safe
from restsync.errors import ConfigError
from restsync.timestamps import as_utc

OPERATORS = ("=", "!=", ">=", "<=", ">", "<", "in")
RANGE_OPERATORS = (">=", "<=", ">", "<")

# The whole run of operator characters is the operator, so `a==b`, `a=>b` and `a<>b` are
# refused as unknown operators instead of becoming `a = "=b"`, `a = ">b"` and `a < ">b"`.
_COMPARISON = re.compile(r"^\s*(?P<key>[^=!<>]+?)\s*(?P<op>[=!<>][=!<>\s]*?)\s*(?P<value>[^=!<>\s].*?|)\s*$")
_MEMBERSHIP = re.compile(r"^\s*(?P<key>\S+)\s+in\s+(?P<values>.+?)\s*$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INFINITIES = {POSITIVE_INFINITY: math.inf, "+" + POSITIVE_INFINITY: math.inf, NEGATIVE_INFINITY: -math.inf}


@dataclass(frozen=True, slots=True)
class Filter:
    """`key op value`; for `in`, value is a tuple of values."""

    key: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ConfigError(f"unknown operator {self.op!r}; use one of {', '.join(OPERATORS)}", key="filter")
        if not self.key:
            raise ConfigError("a filter needs a metadata key", key="filter")


def parse_filter(expression: str) -> Filter:
    """`author.name=Jane`, `updated_at>=2025-01-01`, `tag in a,b`, `stars>10`."""
    membership = _MEMBERSHIP.match(expression)
    if membership:
        values = tuple(part.strip() for part in membership.group("values").split(",") if part.strip())
        if not values:
            raise ConfigError(f"{expression!r} lists no values after 'in'", key="filter")
        return Filter(membership.group("key"), "in", values)
    comparison = _COMPARISON.match(expression)
    if not comparison:
        raise ConfigError(
            f"{expression!r} is not 'key op value' (ops: {', '.join(OPERATORS)})", key="filter"
        )
    operator = comparison.group("op")
    if operator not in OPERATORS:
        raise ConfigError(
            f"unknown operator {operator!r} in {expression!r}; use one of {', '.join(OPERATORS)} "
            "(a value that starts with =, !, < or > can be matched with 'key in VALUE')",
            key="filter",
        )
    return Filter(comparison.group("key"), operator, comparison.group("value"))


def as_number(value: Any) -> float | None:
    """The number a value compares as: numbers, numeric strings, dates (epoch seconds)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer beyond any double still orders past every number
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime):
        return as_utc(value).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp()
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return float(text)  # 1e400 is infinity: past every number, as its digits say
        if text in _INFINITIES:
            return _INFINITIES[text]
        if _ISO_DATE.match(text):
            try:
                moment = datetime.fromisoformat(text.replace("z", "Z"))
            except ValueError:
                return None
            return as_number(moment)
    return None


def as_text(value: Any) -> str:
    """The exact string a value is matched as by `=`, `!=` and `in`."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else json_safe(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def metadata_rows(metadata: dict[str, Any]) -> Iterator[tuple[str, str, float | None]]:
    """(key, text, number) per scalar value; one row per element of a list value."""
    for key, value in metadata.items():
        elements = value if isinstance(value, (list, tuple)) else [value]
        for element in elements:
            if element is None:
                continue
            yield key, as_text(element), as_number(element)
