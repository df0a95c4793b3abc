"""The identities of the items a walk yielded last, to drop what a shifting collection lists twice.

A newest-first API that gains items while it is walked pushes the tail of one page onto the head
of the next; a step back after a shrink fetches some items again. Both repeats sit within a few
pages, so a bounded window finds them while memory stays flat however large the source.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any, Callable, Hashable

import xxhash

from restsync.extraction.fieldpath import get_field

DEFAULT_WINDOW = 10_000  # identities kept: many pages of any usual size

Identify = Callable[[Any], Hashable]


def item_identity(id_field: str | None) -> Identify:
    """An item's id_field value (str and int kept as they are), else a hash of the whole item."""
    plain_key = id_field if id_field and not any(mark in id_field for mark in ".[]") else None

    def identify(item: Any) -> Hashable:
        if plain_key is not None:
            value = item.get(plain_key) if isinstance(item, dict) else None
        else:
            value = get_field(item, id_field) if id_field and isinstance(item, dict) else None
        if type(value) is str or type(value) is int:
            return value if value != "" else _whole(item)
        if value is None or value == []:
            return _whole(item)
        return _whole(value)

    return identify


def _whole(value: Any) -> int:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return xxhash.xxh3_64_intdigest(text.encode("utf-8"))


class RecentItems:
    def __init__(self, identify: Identify, window: int = DEFAULT_WINDOW):
        self._identify = identify
        self._window = window
        self._last_page: dict[Hashable, int] = {}  # identity -> serial of the last page holding it
        self._pages: deque[tuple[int, list[Hashable]]] = deque()
        self._held = 0
        self._serial = 0

    def fresh(self, items: list) -> tuple[list, int]:
        """The items not among the recent ones (all of them when none repeat), and how many repeated.
        Repeats within one page are the API's own business and are kept."""
        keys = [self._identify(item) for item in items]
        last_page = self._last_page
        repeats = any(key in last_page for key in keys)
        kept = [item for item, key in zip(items, keys) if key not in last_page] if repeats else items
        self._remember(keys)
        return kept, len(items) - len(kept)

    def _remember(self, keys: list[Hashable]) -> None:
        serial = self._serial = self._serial + 1
        self._last_page.update(dict.fromkeys(keys, serial))
        self._pages.append((serial, keys))
        self._held += len(keys)
        while self._held > self._window and len(self._pages) > 1:
            old, old_keys = self._pages.popleft()
            self._held -= len(old_keys)
            for key in old_keys:
                if self._last_page.get(key) == old:
                    del self._last_page[key]
