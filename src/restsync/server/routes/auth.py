"""Logging in with a token (session cookie + CSRF cookie), logging out, who am I; API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from restsync.server.auth import CSRF_COOKIE, SESSION_COOKIE, Principal, authenticate, service_of
from restsync.server.models import Envelope, LoginRequest, Me, TokenCreate, TokenOut
from restsync.server.routes.common import AUTHED, authed_service, errors, ok
from restsync.service import Service
from restsync.service.errors import ForbiddenError
from restsync.service.tokens import SESSION_TTL_S

router = APIRouter(prefix="/api/v1")


@router.post("/auth/login", response_model=Envelope[Me], tags=["auth"], responses=errors(403, 422))
def login(body: LoginRequest, request: Request, response: Response) -> dict:
    """Exchange an API token for a browser session (cookies `restsync_session` and `restsync_csrf`)."""
    service = service_of(request)
    info = service.tokens.verify(body.token.strip())
    if info is None:
        raise ForbiddenError("the token is unknown or revoked", key="token")
    session_id, csrf = service.sessions.create(info.id)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(SESSION_TTL_S), httponly=True,
                        samesite="strict", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=int(SESSION_TTL_S), httponly=False,
                        samesite="strict", secure=secure, path="/")
    return ok({"token_id": info.id, "name": info.name, "via": "session", "csrf_token": csrf})


@router.post("/auth/logout", response_model=Envelope[bool], tags=["auth"], responses=AUTHED)
def logout(request: Request, response: Response, principal: Principal = Depends(authenticate)) -> dict:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service_of(request).sessions.end(cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return ok(True)


@router.get("/auth/me", response_model=Envelope[Me], tags=["auth"], responses=AUTHED)
def me(principal: Principal = Depends(authenticate)) -> dict:
    return ok({"token_id": principal.token.id, "name": principal.token.name, "via": principal.via,
               "csrf_token": principal.csrf})


@router.get("/tokens", response_model=Envelope[list[TokenOut]], tags=["tokens"], responses=AUTHED)
def list_tokens(service: Service = Depends(authed_service)) -> dict:
    return ok([info.to_dict() for info in service.tokens.list()])


@router.post("/tokens", response_model=Envelope[TokenOut], tags=["tokens"],
             responses=errors(400, 401, 403, 422))
def create_token(body: TokenCreate, service: Service = Depends(authed_service)) -> dict:
    """A new token; `token` is in this response only (it is stored as a hash)."""
    info, token = service.tokens.create(body.name)
    return ok({**info.to_dict(), "token": token})


@router.delete("/tokens/{token_id}", response_model=Envelope[TokenOut], tags=["tokens"],
               responses=errors(401, 403, 404))
def revoke_token(token_id: str, service: Service = Depends(authed_service)) -> dict:
    return ok(service.tokens.revoke(token_id).to_dict())
