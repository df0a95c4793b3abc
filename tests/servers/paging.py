"""Helpers the fake APIs share: bounded integer params and opaque cursor tokens."""

from __future__ import annotations

import base64

from .base import RecordedRequest


class BadRequest(Exception):
    """Raised by helpers; servers turn it into their own 400 error body."""


def int_param(request: RecordedRequest, name: str, default: int, minimum: int = 0) -> int:
    raw = request.param(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise BadRequest(f"{name} must be >= {minimum}, got {value}")
    return value


def encode_cursor(prefix: str, position: int) -> str:
    """An opaque token, as APIs hand out: clients must send it back, not compute it."""
    return base64.urlsafe_b64encode(f"{prefix}:{position}".encode()).decode().rstrip("=")


def decode_cursor(prefix: str, token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        kind, position = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        if kind != prefix:
            raise ValueError(kind)
        return int(position)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(f"invalid cursor {token!r}") from None
