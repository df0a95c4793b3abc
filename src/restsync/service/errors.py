"""Errors of the service layer; each carries the HTTP status the API answers with."""

from __future__ import annotations

from restsync.errors import RestSyncError


class ServiceError(RestSyncError):
    status = 400

    def __init__(self, message: str, key: str | None = None):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


class InvalidRequestError(ServiceError):
    status = 400


class NotFoundError(ServiceError):
    status = 404

    def __init__(self, kind: str, ident: object):
        super().__init__(f"no {kind} with id {ident!r}")


class ConflictError(ServiceError):
    status = 409


class AuthenticationError(ServiceError):
    status = 401


class ForbiddenError(ServiceError):
    status = 403
