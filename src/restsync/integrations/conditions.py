"""Dify's and RAGFlow's `metadata_condition` in restsync terms.

Dify sends `{"logical_operator": "and"|"or", "conditions": [{"name", "comparison_operator",
"value"}]}`; RAGFlow's retrieval API the same with `logic` for `logical_operator`. A plan splits
it in two:

- `filters`: conditions the knowledge base's own filters express exactly (`=`, `!=`, ranges,
  `in`; `not in` as one `!=` per value), pushed into the search so they cost nothing and lose
  nothing. Only under `and`: the knowledge base ANDs its filters.
- `residual`: the rest (`contains`, `start with`, `end with`, `empty`, `not empty`, and every
  condition under `or`), checked here on each hit's metadata. The search then asks for more
  candidates (`overfetch`) so filtering afterwards still fills top_k in all but rare cases.

Both sides compare the same way as the knowledge base: a list value matches by element, text
equality or (for numbers, numeric strings and ISO dates) numeric equality, ranges on numbers
and dates as numbers, otherwise as text.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from restsync.errors import ConfigError
from restsync.kb.filters import Filter, as_number, as_text

# Dify's operators (and the ASCII spellings people type) -> one canonical name each.
ALIASES = {
    "contains": "contains", "not contains": "not contains", "start with": "start with", "end with": "end with",
    "is": "is", "is not": "is not", "empty": "empty", "not empty": "not empty", "in": "in", "not in": "not in",
    "=": "=", "==": "=", "≠": "≠", "!=": "≠", ">": ">", "<": "<", "≥": "≥", ">=": "≥", "≤": "≤", "<=": "≤",
    "before": "before", "after": "after",
}
# Canonical operator -> the knowledge base's filter operator, where one expresses it exactly.
PUSHDOWN = {"is": "=", "=": "=", "is not": "!=", "≠": "!=", ">": ">", "<": "<", "≥": ">=", "≤": "<=",
            "before": "<", "after": ">", "in": "in"}
_RANGES: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt, "after": operator.gt, "<": operator.lt, "before": operator.lt, "≥": operator.ge, "≤": operator.le,
}
_NO_VALUE = ("empty", "not empty")
OVERFETCH_FACTOR = 10
MAX_CANDIDATES = 500


@dataclass(frozen=True)
class Condition:
    names: tuple[str, ...]
    op: str  # canonical
    value: Any

    def holds(self, metadata: dict[str, Any]) -> bool:
        """True when the condition holds for any of its names (Dify may send several)."""
        return any(_holds(self.op, self.value, _elements(metadata.get(name))) for name in self.names)


@dataclass
class ConditionPlan:
    filters: list[Filter] = field(default_factory=list)
    residual: list[Condition] = field(default_factory=list)
    any_of: bool = False  # `or`: a hit passes when one residual condition holds

    def keeps(self, metadata: dict[str, Any]) -> bool:
        if not self.residual:
            return True
        results = (condition.holds(metadata) for condition in self.residual)
        return any(results) if self.any_of else all(results)

    def candidates(self, top_k: int) -> int:
        """How many hits to ask the search for, so residual filtering can still fill top_k."""
        if not self.residual:
            return top_k
        return max(top_k, min(max(top_k * OVERFETCH_FACTOR, 100), MAX_CANDIDATES))


def plan_conditions(raw: Any, where: str = "metadata_condition") -> ConditionPlan:
    """Validate Dify's metadata_condition (None or an object) and split it; errors name the field."""
    if raw is None:
        return ConditionPlan()
    if not isinstance(raw, dict):
        raise ConfigError("must be an object or null", key=where)
    logical_key = "logic" if "logic" in raw and "logical_operator" not in raw else "logical_operator"
    logical = raw.get(logical_key) or "and"
    if not isinstance(logical, str) or logical.lower() not in ("and", "or"):
        raise ConfigError("must be 'and' or 'or'", key=f"{where}.{logical_key}")
    items = raw.get("conditions") or []
    if not isinstance(items, list):
        raise ConfigError("must be a list", key=f"{where}.conditions")
    conditions = [_condition(item, f"{where}.conditions[{index}]") for index, item in enumerate(items)]
    any_of = logical.lower() == "or" and len(conditions) > 1
    plan = ConditionPlan(any_of=any_of)
    for condition in conditions:
        pushed = None if any_of else _pushdown(condition)
        if pushed is None:
            plan.residual.append(condition)
        else:
            plan.filters.extend(pushed)
    return plan


def _condition(item: Any, where: str) -> Condition:
    if not isinstance(item, dict):
        raise ConfigError("must be an object with name, comparison_operator and value", key=where)
    raw_names = item.get("name")
    names = tuple(raw_names) if isinstance(raw_names, list) else (raw_names,)
    if not names or not all(isinstance(name, str) and name.strip() for name in names):
        raise ConfigError("must name a metadata field (a string or a list of strings)", key=f"{where}.name")
    raw_op = item.get("comparison_operator")
    op = ALIASES.get(raw_op.strip().lower()) if isinstance(raw_op, str) else None
    if op is None:
        raise ConfigError(f"{raw_op!r} is not supported; use one of {', '.join(sorted(set(ALIASES.values())))}",
                          key=f"{where}.comparison_operator")
    value = item.get("value")
    if op in ("in", "not in"):
        value = _value_list(value, where)
    elif op not in _NO_VALUE:
        if value is None or isinstance(value, (dict, list)) or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"{op!r} needs a value", key=f"{where}.value")
        if op in _RANGES and as_number(value) is None and not isinstance(value, str):
            raise ConfigError(f"{op!r} needs a number or a date", key=f"{where}.value")
    return Condition(tuple(name.strip() for name in names), op, value)


def _value_list(value: Any, where: str) -> tuple[str, ...]:
    values = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    cleaned = tuple(as_text(v).strip() for v in values if v is not None and as_text(v).strip())
    if not cleaned:
        raise ConfigError("lists no values", key=f"{where}.value")
    return cleaned


def _pushdown(condition: Condition) -> list[Filter] | None:
    if len(condition.names) != 1:
        return None
    name = condition.names[0]
    if condition.op == "not in":
        return [Filter(name, "!=", value) for value in condition.value]
    filter_op = PUSHDOWN.get(condition.op)
    if filter_op is None:
        return None
    value = condition.value if filter_op == "in" else as_text(condition.value)
    return [Filter(name, filter_op, value)]


def _elements(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [item for item in items if item is not None]


def _equal(element: Any, value: Any) -> bool:
    if as_text(element) == as_text(value):
        return True
    left, right = as_number(element), as_number(value)
    return left is not None and right is not None and left == right


def _holds(op: str, value: Any, elements: Sequence[Any]) -> bool:
    if op == "empty":
        return not any(as_text(element).strip() for element in elements)
    if op == "not empty":
        return any(as_text(element).strip() for element in elements)
    if op in ("is", "="):
        return any(_equal(element, value) for element in elements)
    if op in ("is not", "≠"):
        return not any(_equal(element, value) for element in elements)
    if op == "in":
        return any(_equal(element, option) for element in elements for option in value)
    if op == "not in":
        return not any(_equal(element, option) for element in elements for option in value)
    text = as_text(value)
    if op == "contains":
        return any(text in as_text(element) for element in elements)
    if op == "not contains":
        return not any(text in as_text(element) for element in elements)
    if op == "start with":
        return any(as_text(element).startswith(text) for element in elements)
    if op == "end with":
        return any(as_text(element).endswith(text) for element in elements)
    compare = _RANGES[op]
    number = as_number(value)
    if number is not None:
        return any((n := as_number(element)) is not None and compare(n, number) for element in elements)
    return any(compare(as_text(element), text) for element in elements)
