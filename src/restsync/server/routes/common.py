"""What every route module shares: the envelope, the error responses, paging, and the authenticated
service."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request

from restsync.server.auth import authenticate, service_of
from restsync.server.models import ErrorOut
from restsync.service import Service

MAX_PAGE_SIZE = 1000

# What each error status means on this API (`server/errors.py` maps the exceptions to them).
ERROR_STATUSES = {
    400: "a value the service refuses, or a source that failed (named in `message`)",
    401: "no credentials: send `Authorization: Bearer <token>` or log in",
    403: "the token is unknown or revoked, or a session request lacks its CSRF header",
    404: "a dataset, connector, document or token the request names does not exist",
    409: "the change conflicts with what is going on (a name taken, a sync running or not running)",
    413: "the body is larger than the server accepts",
    422: "a field is missing or invalid, or a connector config is (named in `message`)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route answers with, each with the error body.
    Declaring 422 also replaces FastAPI's default, whose body is not the one this API sends."""
    return {status: {"model": ErrorOut, "description": ERROR_STATUSES[status]} for status in statuses}


# Every route behind `authed_service`: no credentials, or credentials refused.
AUTHED = errors(401, 403)


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
