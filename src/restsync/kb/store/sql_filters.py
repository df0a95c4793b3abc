"""Metadata filters and source restrictions as SQLAlchemy conditions on `documents`."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select, true

from restsync.kb.filters import Filter, as_number, as_text
from restsync.kb.store.schema import doc_meta, documents

_RANGE = {
    ">=": lambda column, value: column >= value,
    "<=": lambda column, value: column <= value,
    ">": lambda column, value: column > value,
    "<": lambda column, value: column < value,
}


def documents_where(
    filters: Sequence[Filter], sources: Sequence[str] | None, *, per_row: bool = False
) -> ColumnElement[bool]:
    """`per_row`: a correlated EXISTS per document, cheap when few rows are checked;
    otherwise IN (subquery), which SQLite evaluates once for the whole set."""
    conditions: list[ColumnElement[bool]] = [_filter_condition(item, per_row) for item in filters]
    if sources is not None:
        conditions.append(documents.c.source.in_(list(sources)))
    return and_(*conditions) if conditions else true()


def _filter_condition(item: Filter, per_row: bool) -> ColumnElement[bool]:
    match = value_condition(item)
    if per_row:
        condition = exists().where(doc_meta.c.doc_key == documents.c.doc_key, doc_meta.c.key == item.key, match)
    else:
        condition = documents.c.doc_key.in_(select(doc_meta.c.doc_key).where(doc_meta.c.key == item.key, match))
    # `!=` keeps documents where no value (no list element) equals it, missing keys included.
    return not_(condition) if item.op == "!=" else condition


def value_condition(item: Filter) -> ColumnElement[bool]:
    """The condition on a `doc_meta` row of key `item.key` that the filter looks for
    (for `!=`, the value it must not have)."""
    if item.op in ("=", "!="):
        return _equals_any([item.value])
    if item.op == "in":
        values = item.value if isinstance(item.value, (list, tuple, set)) else [item.value]
        return _equals_any(list(values))
    number = as_number(item.value)
    compare = _RANGE[item.op]
    # Numbers and dates compare as numbers; anything else as text.
    return compare(doc_meta.c.num_value, number) if number is not None else compare(doc_meta.c.text_value, as_text(item.value))


def _equals_any(values: list[Any]) -> ColumnElement[bool]:
    texts = [as_text(value) for value in values]
    numbers = [number for number in (as_number(value) for value in values) if number is not None]
    condition = doc_meta.c.text_value.in_(texts)
    if numbers:
        condition = or_(condition, doc_meta.c.num_value.in_(numbers))
    return condition
