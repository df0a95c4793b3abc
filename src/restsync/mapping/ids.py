"""Stable document ids: the same item gives the same id on every run and every machine."""

from __future__ import annotations

import json
from typing import Any

import xxhash

from restsync.document import SOURCE_NAME

_PREFIX = SOURCE_NAME + ":"


def document_id(raw_id: str, namespace: str | None = None) -> str:
    """xxh128 hex of `rest_api:<raw_id>` (RAGFlow's exact id) or, with a namespace,
    of `rest_api:<namespace>:<raw_id>`, so two sources sharing raw ids never collide."""
    key = _PREFIX + raw_id if namespace is None else f"{_PREFIX}{namespace}:{raw_id}"
    return xxhash.xxh128_hexdigest(key.encode("utf-8"))


def fallback_raw_id(item: Any) -> str:
    """The raw id of an item without one: its canonical JSON (sorted keys, compact), which does
    not depend on key order, the Python version or the machine."""
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
