"""What every route module shares: the envelope, paging, and the authenticated service."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request

from restsync.server.auth import authenticate, service_of
from restsync.service import Service

MAX_PAGE_SIZE = 1000


def ok(data: Any) -> dict[str, Any]:
    return {"code": 0, "message": "", "data": data}


class Paging:
    def __init__(self, page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(30, ge=1, le=MAX_PAGE_SIZE)):
        self.offset = (page - 1) * page_size
        self.limit = page_size


def authed_service(request: Request) -> Service:
    """The service, once the caller is authenticated. One dependency, not two chained ones: each
    sync dependency is a hop to the thread pool, which a busy machine makes expensive."""
    request.state.principal = authenticate(request)
    return service_of(request)
