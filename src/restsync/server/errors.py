"""Every error becomes RAGFlow's envelope with a proper HTTP status and a one-line message that
names the field; nothing ever shows a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from restsync.errors import ConfigError, RestSyncError, SourceError, SyncInProgressError
from restsync.service.errors import ServiceError

logger = logging.getLogger("restsync.server")


def envelope(status: int, message: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": status, "message": message, "data": data}, status_code=status)


def status_of(exc: RestSyncError) -> int:
    if isinstance(exc, ServiceError):
        return exc.status
    if isinstance(exc, SyncInProgressError):
        return 409
    if isinstance(exc, ConfigError):
        return 422
    if isinstance(exc, SourceError):
        return 400
    return 400


def field_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RestSyncError)
    async def restsync_error(_: Request, exc: RestSyncError) -> JSONResponse:
        return envelope(status_of(exc), " ".join(str(exc).split()))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = []
        for error in exc.errors()[:10]:
            location = tuple(error.get("loc") or ())
            message = str(error.get("msg") or "invalid")
            if error.get("type") == "json_invalid":
                message = "the body is not valid JSON"
            messages.append(f"{field_path(location)}: {message}" if location else message)
        return envelope(422, "; ".join(messages) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        response = envelope(exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # The type and where, for the operator; no message (it may hold request data) and no traceback.
        logger.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return envelope(500, f"internal error ({type(exc).__name__}); the server log names the request")
