"""`cursor`: an opaque token from each response (or the last item) sent back with the next request.

The token keeps its JSON type in a body placement (Elasticsearch `search_after` is an array) and
becomes a string in a query or header placement. The same token twice means the API is looping.
"""

from __future__ import annotations

import json
from typing import Any

from restsync.errors import ConfigError
from restsync.extraction.fieldpath import compile_field_path
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination.base import CONFIG_PREFIX, Paginator, check_path, read_path
from restsync.pagination.placement import Placement

CURSOR_SOURCES = ("response", "last_item")


def is_empty(value: Any) -> bool:
    """A missing, null or empty token means there is no next page."""
    return value is None or value == "" or value == [] or value == {}


def _identity(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class CursorPaginator(Paginator):
    style = "cursor"

    def __init__(
        self,
        *,
        cursor_param: str | None = None,
        next_cursor_path: str | None = None,
        next_cursor_field: str | None = None,
        initial_cursor: Any = None,
        cursor_in: str | None = None,
        cursor_from: str | None = None,
        cursor_item_field: str | None = None,
        **signals: Any,
    ):
        super().__init__(**signals)
        self._placement = Placement.of(cursor_param or "cursor", cursor_in, f"{CONFIG_PREFIX}.cursor_in")
        source = (cursor_from or "response").strip().lower()
        if source not in CURSOR_SOURCES:
            raise ConfigError(f"expected one of {', '.join(CURSOR_SOURCES)}, got {cursor_from!r}", f"{CONFIG_PREFIX}.cursor_from")
        self._from_last_item = source == "last_item"
        self._item_field = compile_field_path(cursor_item_field or "id", f"{CONFIG_PREFIX}.cursor_item_field")
        self._path = check_path(next_cursor_path, "next_cursor_path")
        # `next_cursor_field` is a top-level key only (GO-11); it is the fallback when no path is set.
        self._field = next_cursor_field or (None if next_cursor_path else "next_cursor")
        self._initial = None if is_empty(initial_cursor) else initial_cursor
        self._cursor: Any = self._initial
        self._seen: set[str] = set() if self._initial is None else {_identity(self._initial)}

    @property
    def cursor(self) -> Any:
        return self._cursor

    def init_request(self, req: RequestSpec) -> None:
        self._cursor = self._initial
        self.update_request(req)

    def update_request(self, req: RequestSpec) -> None:
        if self._cursor is None:
            self._placement.remove(req)
        else:
            self._placement.place(req, self._cursor)

    def _advance(self, response: ApiResponse, items: list) -> bool:
        value = self._read_cursor(response, items)
        if is_empty(value):
            return False
        identity = _identity(value)
        if identity in self._seen:
            self._flag_loop(f"cursor {value!r} was returned twice")
            return False
        self._seen.add(identity)
        self._cursor = value
        return True

    def _read_cursor(self, response: ApiResponse, items: list) -> Any:
        if self._from_last_item:
            return self._item_field.get(items[-1]) if items else None
        if self._path:
            return read_path(response.data, self._path)
        data = response.data
        return data.get(self._field) if isinstance(data, dict) else None

    def _position_state(self) -> dict:
        return {"cursor": self._cursor}

    def _restore_position(self, state: dict) -> None:
        self._cursor = None if is_empty(state.get("cursor")) else state.get("cursor")
        self._seen = set() if self._cursor is None else {_identity(self._cursor)}
