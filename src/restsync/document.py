"""The document contract: what every walk yields and `fetch` writes as JSON lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from restsync.timestamps import format_utc

SOURCE_NAME = "rest_api"
# JSON has no NaN or Infinity (Python writes them as bare tokens other parsers reject), yet
# APIs send them, and a literal like 1e400 parses as infinity. In the document contract an
# infinity is the string "Infinity" / "-Infinity" (range filters still order it past every
# number); NaN, which has no order, is null.
POSITIVE_INFINITY = "Infinity"
NEGATIVE_INFINITY = "-Infinity"


@dataclass(slots=True)
class Document:
    id: str
    semantic_identifier: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_updated_at: datetime | None = None
    link: str | None = None
    source: str = SOURCE_NAME

    # RAGFlow's Document carries its text as a .txt blob; kept for configs and code ported from it.
    extension = ".txt"

    @property
    def blob(self) -> bytes:
        return self.content.encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "semantic_identifier": self.semantic_identifier,
            "content": self.content,
            "metadata": json_safe(self.metadata),
            "doc_updated_at": format_utc(self.doc_updated_at),
            "link": self.link,
            "source": self.source,
        }


def json_safe(value: Any) -> Any:
    """`value` with every non-finite float replaced as the document contract says (see above),
    through dicts, lists and tuples; returned as is when it holds none."""
    if type(value) is dict and plainly_finite(value):  # most metadata: told by types alone
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if math.isnan(value):
            return None
        return POSITIVE_INFINITY if value > 0 else NEGATIVE_INFINITY
    if isinstance(value, dict):
        if not any(_needs_fixing(item) for item in value.values()):
            return value
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if not any(_needs_fixing(item) for item in value):
            return value
        return [json_safe(item) for item in value]
    return value


def plainly_finite(metadata: dict[str, Any]) -> bool:
    """True when every value is a string, int, bool or None, or a flat list of those: what most
    metadata is, checked by type alone. False means "look closer" (`has_non_finite`), not "not finite"."""
    for value in metadata.values():
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if kind is not list:
            return False
        for element in value:
            kind = type(element)
            if not (kind is str or kind is int or kind is bool or element is None):
                return False
    return True


def has_non_finite(value: Any) -> bool:
    """Whether `value` holds a NaN or an infinity anywhere inside it."""
    return _needs_fixing(value)


def _needs_fixing(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_needs_fixing(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_needs_fixing(item) for item in value)
    return False
