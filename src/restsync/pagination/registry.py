"""Config -> paginator: `pagination_type` names a class, `pagination_config` keys become its arguments."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from restsync.errors import ConfigError
from restsync.pagination.auto import AutoPaginator
from restsync.pagination.base import NoPaginator, Paginator
from restsync.pagination.cursor import CursorPaginator
from restsync.pagination.numeric import OffsetPaginator, PageNumberPaginator
from restsync.pagination.reference import LinkHeaderPaginator, NextUrlPaginator

PAGINATORS: dict[str, type[Paginator]] = {
    "none": NoPaginator,
    "page": PageNumberPaginator,
    "offset": OffsetPaginator,
    "cursor": CursorPaginator,
    "next_url": NextUrlPaginator,
    "link_header": LinkHeaderPaginator,
    "auto": AutoPaginator,
}

# Stop conditions every style reads (the base class's arguments).
_SHARED_KEYS = frozenset(inspect.signature(Paginator.__init__).parameters) - {"self"}


def accepted_keys(style: str) -> frozenset[str]:
    """The `pagination_config` keys a style uses; other keys are ignored for it."""
    cls = _class_for(style)
    if cls is AutoPaginator:
        return frozenset().union(*(accepted_keys(name) for name in PAGINATORS if name not in ("auto", "none")))
    own = {
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    return frozenset(own) | _SHARED_KEYS


def create_paginator(style: str, params: Mapping[str, Any] | None = None) -> Paginator:
    """A fresh paginator of `style`; unset (None) values take the style's defaults."""
    cls = _class_for(style)
    keys = accepted_keys(style)
    arguments = {key: value for key, value in (params or {}).items() if value is not None and key in keys}
    return cls(**arguments)


def build_paginator(config: Any) -> Paginator:
    """From a `SourceConfig`: `pagination_type` and its `pagination` (`PaginationConfig`)."""
    pagination = getattr(config, "pagination", None)
    if is_dataclass(pagination) and not isinstance(pagination, type):
        params = asdict(pagination)
    elif isinstance(pagination, Mapping):
        params = dict(pagination)
    else:
        params = {}
    return create_paginator(getattr(config, "pagination_type", None) or "none", params)


def _class_for(style: str) -> type[Paginator]:
    cls = PAGINATORS.get(str(style).strip().lower())
    if cls is None:
        raise ConfigError(f"Unsupported pagination_type {style!r}; expected one of {', '.join(PAGINATORS)}", "pagination_type")
    return cls
