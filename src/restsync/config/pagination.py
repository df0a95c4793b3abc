"""`PaginationConfig`: the typed view of `pagination_config`. Unset values stay None and each
paginator applies its own defaults, so this module only checks types and allowed values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from restsync.config import coerce
from restsync.config.vocabulary import (
    CURSOR_SOURCES,
    PAGINATION_KEYS,
    PAGINATION_PREFIX as PREFIX,
    PLACEMENTS,
    report_unknown_keys,
)
from restsync.errors import ConfigError

_TEXT_KEYS = (
    "page_param", "page_size_param", "offset_param", "limit_param", "cursor_param",
    "next_cursor_path", "next_cursor_field", "initial_cursor", "cursor_item_field",
    "next_url_path", "has_more_path", "total_path", "total_pages_path",
)  # fmt: skip
_PLACEMENT_KEYS = ("page_in", "offset_in", "cursor_in")
_SIZE_KEYS = ("page_size", "limit")  # RAGFlow ignored values <= 0, so they mean "unset" here too
_START_KEYS = ("start_page", "start_offset")  # 0 is valid: some APIs count pages from 0


@dataclass(frozen=True)
class PaginationConfig:
    page_param: str | None = None
    page_size_param: str | None = None
    start_page: int | None = None
    page_size: int | None = None
    offset_param: str | None = None
    limit_param: str | None = None
    start_offset: int | None = None
    limit: int | None = None
    cursor_param: str | None = None
    next_cursor_path: str | None = None
    next_cursor_field: str | None = None
    initial_cursor: str | None = None
    cursor_in: str | None = None  # query | body | header
    page_in: str | None = None
    offset_in: str | None = None
    cursor_from: str | None = None  # response | last_item
    cursor_item_field: str | None = None
    next_url_path: str | None = None
    has_more_path: str | None = None
    total_path: str | None = None
    total_pages_path: str | None = None

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, Any], *, strict: bool = False, warnings: list[str] | None = None
    ) -> PaginationConfig:
        warnings = warnings if warnings is not None else []
        report_unknown_keys(raw, PAGINATION_KEYS, prefix=PREFIX, strict=strict, warnings=warnings)
        values: dict[str, Any] = {}
        for name in _TEXT_KEYS:
            values[name] = coerce.optional_str(raw.get(name), _path(name))
        for name in _SIZE_KEYS:
            size = coerce.integer(raw.get(name), _path(name), expected="a positive integer")
            if size is not None and size <= 0:
                warnings.append(f"{_path(name)}: {size} is not a positive size; the API's default is used")
                size = None
            values[name] = size
        for name in _START_KEYS:
            values[name] = coerce.integer(raw.get(name), _path(name), minimum=0, expected="a non-negative integer")
        for name in _PLACEMENT_KEYS:
            values[name] = _optional_choice(raw.get(name), name, PLACEMENTS)
        values["cursor_from"] = _optional_choice(raw.get("cursor_from"), "cursor_from", CURSOR_SOURCES)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The keys that are set, as `pagination_config` would spell them."""
        return {name: value for name, value in asdict(self).items() if value is not None}

    def parameter_names(self) -> set[str]:
        """Query parameters the paginator owns (they vary per page, not per source)."""
        names = {self.page_param, self.page_size_param, self.offset_param, self.limit_param, self.cursor_param}
        return {name for name in names if name}

    def placements(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in _PLACEMENT_KEYS if getattr(self, name)}


def _optional_choice(value: Any, name: str, allowed: tuple[str, ...]) -> str | None:
    if coerce.is_unset(value):
        return None
    text = coerce.stringify(value).strip().lower()
    if text not in allowed:
        raise ConfigError(f"expected one of {', '.join(allowed)}, got {value!r}", _path(name))
    return text


def _path(name: str) -> str:
    return f"{PREFIX}.{name}"
