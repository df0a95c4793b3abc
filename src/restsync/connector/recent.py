"""The identities of the items a walk yielded last, to drop what a shifting collection lists twice.

A newest-first API that gains items while it is walked pushes the tail of one page onto the head
of the next; a step back after a shrink fetches some items again. Both repeats sit within a few
pages, so a bounded window finds them while memory stays flat however large the source.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from typing import Any, Callable, Hashable

import xxhash

from restsync.extraction.fieldpath import get_field

DEFAULT_WINDOW = 10_000  # identities kept: many pages of any usual size

Identify = Callable[[Any], Hashable]


def item_identity(id_field: str | None) -> Identify:
    """An item's id_field value (str and int kept as they are), else a hash of the whole item."""

    def identify(item: Any) -> Hashable:
        value = get_field(item, id_field) if id_field and isinstance(item, dict) else None
        if value is None or value == "" or value == []:
            value = item
        if type(value) is str or type(value) is int:
            return value
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
        return xxhash.xxh3_64_intdigest(text.encode("utf-8"))

    return identify


class RecentItems:
    def __init__(self, identify: Identify, window: int = DEFAULT_WINDOW):
        self._identify = identify
        self._window = window
        self._order: deque[Hashable] = deque()
        self._counts: Counter[Hashable] = Counter()

    def fresh(self, items: list) -> tuple[list, int]:
        """The items not among the recent ones (all of them when none repeat), and how many repeated.
        Repeats within one page are the API's own business and are kept."""
        keys = [self._identify(item) for item in items]
        repeated = [key in self._counts for key in keys]
        for key in keys:
            self._remember(key)
        if not any(repeated):
            return items, 0
        kept = [item for item, seen in zip(items, repeated) if not seen]
        return kept, len(items) - len(kept)

    def _remember(self, key: Hashable) -> None:
        self._order.append(key)
        self._counts[key] += 1
        if len(self._order) > self._window:
            old = self._order.popleft()
            self._counts[old] -= 1
            if not self._counts[old]:
                del self._counts[old]
