"""Who is calling: a Bearer token, or the browser's session cookie plus its CSRF header.

Session-authenticated requests that change state must echo the `restsync_csrf` cookie in
`X-CSRF-Token` (double submit): a page on another site can make the browser send the cookie but
cannot read it. Bearer requests need no CSRF check; browsers never add that header on their own.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from restsync.service import Service
from restsync.service.errors import AuthenticationError, ForbiddenError
from restsync.service.tokens import TokenInfo

SESSION_COOKIE = "restsync_session"
CSRF_COOKIE = "restsync_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    token: TokenInfo
    via: str  # "bearer" or "session"
    csrf: str | None = None


def service_of(request: Request) -> Service:
    return request.app.state.service


def authenticate(request: Request) -> Principal:
    service = service_of(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        info = service.tokens.verify(token.strip())
        if info is None:
            raise ForbiddenError("the token is unknown or revoked")
        return Principal(info, "bearer")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = service.sessions.verify(cookie)
        if found is None:
            raise ForbiddenError("the session expired or its token was revoked; log in again")
        info, csrf = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent.encode(), csrf.encode()):
                raise ForbiddenError(f"missing or wrong {CSRF_HEADER} header (send the {CSRF_COOKIE} cookie's value)")
        return Principal(info, "session", csrf)
    raise AuthenticationError("missing bearer token: send 'Authorization: Bearer <token>' or log in")


def is_signed_in(request: Request) -> bool:
    """For the UI's page shells: a live session cookie (no CSRF needed to read a page)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return bool(cookie) and service_of(request).sessions.verify(cookie) is not None
