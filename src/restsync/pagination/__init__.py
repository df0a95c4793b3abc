"""Paginators: one protocol (`Paginator`), one class per style, `build_paginator(style, pagination)` to pick one."""

from restsync.pagination.auto import AutoPaginator
from restsync.pagination.base import NoPaginator, Paginator
from restsync.pagination.cursor import CursorPaginator
from restsync.pagination.detect import Detection, detect
from restsync.pagination.links import find_link, parse_link_header
from restsync.pagination.numeric import NumericPaginator, OffsetPaginator, PageNumberPaginator
from restsync.pagination.placement import Placement
from restsync.pagination.reference import LinkHeaderPaginator, NextUrlPaginator, ReferencePaginator
from restsync.pagination.registry import PAGINATORS, accepted_keys, build_paginator, create_paginator

__all__ = [
    "PAGINATORS",
    "AutoPaginator",
    "CursorPaginator",
    "Detection",
    "LinkHeaderPaginator",
    "NextUrlPaginator",
    "NoPaginator",
    "NumericPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "Paginator",
    "Placement",
    "ReferencePaginator",
    "accepted_keys",
    "build_paginator",
    "create_paginator",
    "detect",
    "find_link",
    "parse_link_header",
]
