"""Config -> paginator: `pagination_type` names a class, `pagination_config` keys become its arguments."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from restsync.errors import ConfigError
from restsync.pagination.auto import AutoPaginator
from restsync.pagination.base import NoPaginator, Paginator
from restsync.pagination.cursor import CursorPaginator
from restsync.pagination.numeric import OffsetPaginator, PageNumberPaginator
from restsync.pagination.reference import LinkHeaderPaginator, NextUrlPaginator

if TYPE_CHECKING:
    from restsync.config.pagination import PaginationConfig

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
    if cls is AutoPaginator:
        # Detection names a style; the registry builds it (handed over, so auto needs no import of this module).
        return AutoPaginator(create_paginator, **arguments)
    return cls(**arguments)


def build_paginator(style: str | None, pagination: PaginationConfig | None = None) -> Paginator:
    """The paginator a config asks for: `pagination_type` and its `pagination_config`
    (`SourceConfig.pagination`, or a parent endpoint's)."""
    return create_paginator(style or "none", asdict(pagination) if pagination is not None else {})


def _class_for(style: str) -> type[Paginator]:
    cls = PAGINATORS.get(str(style).strip().lower())
    if cls is None:
        raise ConfigError(f"Unsupported pagination_type {style!r}; expected one of {', '.join(PAGINATORS)}", "pagination_type")
    return cls
