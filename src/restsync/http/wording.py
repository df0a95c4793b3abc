"""How the HTTP client words a wait or a failure: the reasons shown in errors, logs and progress."""

from __future__ import annotations

from typing import Callable

import httpx

from restsync.http.auth import TokenEndpointUnavailable
from restsync.http.body import TruncatedBodyError
from restsync.http.retry import Verdict

ERROR_BODY_PREVIEW = 200  # characters of an error response quoted in its message

Redact = Callable[[str], str]


def fault_reason(exc: Exception, timeout: float, redact: Redact) -> str:
    """Why an exchange failed without an HTTP status (retried, or the last words of a give-up)."""
    if isinstance(exc, TruncatedBodyError):
        return f"response body was cut short: {exc}"
    if isinstance(exc, TokenEndpointUnavailable):
        return redact(str(exc))
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out (no complete response within {seconds_text(timeout)}, the timeout)"
    detail = redact(str(exc)) or "no detail"
    return f"connection error ({type(exc).__name__}: {detail})"


def body_preview(text: str, redact: Redact) -> str:
    """`: <the start of an error response's body>`, secrets masked; empty for an empty body."""
    # Redact before cutting: a secret straddling the cut would otherwise show in part.
    text = redact(text[: ERROR_BODY_PREVIEW * 4].strip())
    if not text:
        return ""
    if len(text) > ERROR_BODY_PREVIEW:
        text = text[:ERROR_BODY_PREVIEW] + "..."
    return f": {text}"


def wait_source(status: int, verdict: Verdict) -> str:
    """`HTTP 429, Retry-After` / `HTTP 503, X-RateLimit-Reset, capped`: what the wait is based on."""
    parts = [f"HTTP {status}"]
    if verdict.hint:
        parts.append(verdict.hint + (" capped by retry_after_cap" if verdict.capped else ""))
    return ", ".join(parts)


def seconds_text(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"
