"""restsync's metadata filters as Milvus boolean expressions, with the same meaning as the
embedded store's (`kb/store/sql_filters.py`).

Each chunk carries its document's metadata normalised by `filter_fields` the way the embedded
store indexes it (`kb.filters.metadata_rows`): per key, the exact texts, the numbers (as
canonical strings, so 12 and "12.0" and a date's epoch compare equal), and the lowest and
highest number and text. A list value matches `=` when any element does, and `>`/`<` when
any element does, which is its highest/lowest element; `!=` matches documents where no
element equals the value, missing keys included (evaluated as an exclusion of the documents
that hold it: `held_expression`). Every operator of `kb.filters.OPERATORS` is supported; a new one gets an `UnsupportedFilterError` naming it, never a silent no-match.
"""

from __future__ import annotations

import json
import math
from typing import Any, Sequence

from restsync.errors import ConfigError
from restsync.kb.filters import Filter, as_number, as_text, metadata_rows

# JSON has no infinity: the largest doubles stand for them (they still order past every number).
_HUGE = 1.0e308
FILTER_FIELD = "filters"  # one JSON field: Milvus evaluates JSON functions on paths inside a field


class UnsupportedFilterError(ConfigError):
    """A filter operator the Milvus translation does not know."""


def filter_fields(metadata: dict[str, Any]) -> dict[str, Any]:
    """The JSON value (of `FILTER_FIELD`) a chunk is stored with so Milvus can evaluate filters."""
    texts: dict[str, list[str]] = {}
    numbers: dict[str, list[str]] = {}
    num_lo: dict[str, float] = {}
    num_hi: dict[str, float] = {}
    for key, text, number in metadata_rows(metadata):
        texts.setdefault(key, []).append(text)
        if number is not None:
            clamped = _finite(number)
            numbers.setdefault(key, []).append(_number_key(clamped))
            num_lo[key] = min(num_lo.get(key, clamped), clamped)
            num_hi[key] = max(num_hi.get(key, clamped), clamped)
    return {
        "keys": sorted(texts),
        "text": texts,
        "num": numbers,
        "num_lo": num_lo,
        "num_hi": num_hi,
        "text_lo": {key: min(values) for key, values in texts.items()},
        "text_hi": {key: max(values) for key, values in texts.items()},
    }


def _path(part: str, key: str | None = None) -> str:
    return f'{FILTER_FIELD}["{part}"]' + (f"[{_key(key)}]" if key is not None else "")


def expression(filters: Sequence[Filter], sources: Sequence[str] | None, excluded_doc_keys: Sequence[str] = ()) -> str:
    """One Milvus filter expression ("" when nothing restricts) for every filter but `!=`,
    which the caller turns into `excluded_doc_keys` with `held_expression` (Milvus Lite 2.5
    has no NOT operator; `not in` on a field it has)."""
    parts = [_condition(item) for item in filters if item.op != "!="]
    if sources is not None:
        parts.append(f"source in {_literal(list(sources))}")
    if excluded_doc_keys:
        parts.append(f"doc_key not in {_literal(list(excluded_doc_keys))}")
    return " and ".join(f"({part})" for part in parts)


def held_expression(item: Filter) -> str:
    """For a `!=` filter: the chunks whose document has the value (to be excluded)."""
    return _condition(Filter(item.key, "=", item.value))


def _condition(item: Filter) -> str:
    has_key = f"json_contains({_path('keys')}, {_literal(item.key)})"
    if item.op in ("=", "!=", "in"):
        values = list(item.value) if item.op == "in" and isinstance(item.value, (list, tuple, set)) else [item.value]
        texts = [as_text(value) for value in values]
        numbers = [_number_key(_finite(number)) for number in (as_number(value) for value in values) if number is not None]
        equals = f"json_contains_any({_path('text', item.key)}, {_literal(texts)})"
        if numbers:
            equals = f"{equals} or json_contains_any({_path('num', item.key)}, {_literal(numbers)})"
        if item.op == "!=":
            raise UnsupportedFilterError("'!=' is evaluated as an exclusion (held_expression)", key="filter")
        return f"{has_key} and ({equals})"
    if item.op in (">", ">="):
        field = "hi"
    elif item.op in ("<", "<="):
        field = "lo"
    else:
        raise UnsupportedFilterError(f"the Milvus index cannot evaluate the operator {item.op!r}", key="filter")
    number = as_number(item.value)
    if number is not None:
        return f"{has_key} and {_path('num_' + field, item.key)} {item.op} {_literal(_finite(number))}"
    return f"{has_key} and {_path('text_' + field, item.key)} {item.op} {_literal(as_text(item.value))}"


def _finite(number: float) -> float:
    return max(-_HUGE, min(_HUGE, number)) if math.isinf(number) else number


def _number_key(number: float) -> str:
    return repr(float(number))


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _literal(value: Any) -> str:
    """A Milvus literal: strings double-quoted with JSON escapes, lists in brackets."""
    return json.dumps(value, ensure_ascii=False)
