"""API tokens: random, shown once, stored only as SHA-256 hashes and compared in constant time.

A token is `rs-` + 43 url-safe characters. Its first characters (`lookup`) find the row without
revealing anything useful; the whole token's hash is then compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from restsync.clock import Clock
from restsync.service.db import TokenRow
from restsync.service.errors import InvalidRequestError, NotFoundError

PREFIX = "rs-"
LOOKUP_CHARS = 8
# last_used_time is a hint, not an audit log: write it at most this often per token.
LAST_USED_RESOLUTION_S = 60.0


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    prefix: str
    create_time: float
    last_used_time: float | None
    revoked_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "create_time": self.create_time,
                "last_used_time": self.last_used_time, "revoked_at": self.revoked_at}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(row.id, row.name, PREFIX + row.lookup[:4], row.create_time, row.last_used_time, row.revoked_at)


class TokenStore:
    def __init__(self, sessions: sessionmaker, clock: Clock):
        self._sessions = sessions
        self._clock = clock

    def create(self, name: str) -> tuple[TokenInfo, str]:
        """A new token: (its record, the token itself, which is never stored)."""
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise InvalidRequestError("must be 1 to 200 characters", key="name")
        token = PREFIX + secrets.token_urlsafe(32)
        row = TokenRow(id=uuid.uuid4().hex, name=name, lookup=token[len(PREFIX):][:LOOKUP_CHARS],
                       token_hash=hash_token(token), create_time=self._clock.time())
        with self._sessions.begin() as session:
            session.add(row)
        return _info(row), token

    def list(self) -> list[TokenInfo]:
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(select(TokenRow).order_by(TokenRow.create_time))]

    def revoke(self, token_id: str) -> TokenInfo:
        with self._sessions.begin() as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFoundError("token", token_id)
            if row.revoked_at is None:
                row.revoked_at = self._clock.time()
            return _info(row)

    def verify(self, token: str) -> TokenInfo | None:
        """The live token's record, or None for an unknown, malformed or revoked token."""
        if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        lookup = token[len(PREFIX):][:LOOKUP_CHARS]
        with self._sessions() as session:
            rows = list(session.scalars(select(TokenRow).where(TokenRow.lookup == lookup)))
            match = None
            for row in rows:  # compare every candidate: timing says nothing about which matched
                if hmac.compare_digest(row.token_hash, digest):
                    match = row
            if match is None or match.revoked_at is not None:
                return None
            now = self._clock.time()
            if match.last_used_time is None or now - match.last_used_time >= LAST_USED_RESOLUTION_S:
                match.last_used_time = now
                session.commit()
            return _info(match)

    def get(self, token_id: str) -> TokenInfo | None:
        with self._sessions() as session:
            row = session.get(TokenRow, token_id)
            return None if row is None else _info(row)

    def has_any(self) -> bool:
        with self._sessions() as session:
            return session.scalars(select(TokenRow.id).limit(1)).first() is not None


SESSION_TTL_S = 12 * 3600


class SessionStore:
    """Browser sessions made by logging in with a token: the cookie value is random and stored
    hashed; each session has its CSRF value (double submit). A revoked token ends its sessions."""

    def __init__(self, sessions: sessionmaker, tokens: TokenStore, clock: Clock, ttl_s: float = SESSION_TTL_S):
        self._sessions = sessions
        self._tokens = tokens
        self._clock = clock
        self._ttl = ttl_s

    def create(self, token_id: str) -> tuple[str, str]:
        """(session cookie value, CSRF value)."""
        from restsync.service.db import SessionRow

        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = self._clock.time()
        with self._sessions.begin() as session:
            session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))  # no pile of dead sessions
            session.add(SessionRow(session_hash=hash_token(session_id), token_id=token_id, csrf_token=csrf,
                                   create_time=now, expires_at=now + self._ttl))
        return session_id, csrf

    def verify(self, session_id: str) -> tuple[TokenInfo, str] | None:
        """(the token the session was made with, its CSRF value), or None if expired or revoked."""
        from restsync.service.db import SessionRow

        if not session_id or len(session_id) > 200:
            return None
        with self._sessions() as session:
            row = session.get(SessionRow, hash_token(session_id))
            if row is None or row.expires_at <= self._clock.time():
                return None
            token_id, csrf = row.token_id, row.csrf_token
        info = self._tokens.get(token_id)
        if info is None or info.revoked_at is not None:
            return None
        return info, csrf

    def end(self, session_id: str) -> None:
        from restsync.service.db import SessionRow

        with self._sessions.begin() as session:
            row = session.get(SessionRow, hash_token(session_id or ""))
            if row is not None:
                session.delete(row)
