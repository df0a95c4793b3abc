"""Retry and rate-limit policy: what a response status means and how long to wait.

Pure functions over status codes, headers and "now", so each rule is unit-tested without a
server. The client (client.py) applies the verdicts and does the sleeping through its Clock.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from enum import Enum
from typing import Mapping

from restsync.timestamps import as_utc, parse_iso


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # tries for transient faults (5xx, dropped connections), first included
    backoff_base: float = 0.5  # seconds before the 2nd try; doubles each time
    backoff_max: float = 30.0
    jitter: float = 0.25  # +/- fraction of each backoff, so clients do not retry in lockstep
    retry_after_cap: float = 300.0  # never wait longer than this on one server hint
    max_rate_limit_waits: int = 10  # 429 responses (or 403 rate limits) tolerated per request
    # Timeouts among those tries: each one costs a whole `timeout`, so a server that stopped
    # answering fails a request after about 2 x timeout instead of max_attempts x timeout.
    max_timeouts: int = 2


class Action(Enum):
    RATE_LIMITED = "rate_limited"  # wait (hint or backoff) and try again; own budget
    TRANSIENT = "transient"  # 5xx / 408: backoff (or hint) and try again
    AUTH_FAILED = "auth_failed"  # 401, 403 without rate-limit evidence
    CLIENT_ERROR = "client_error"  # other 4xx: retrying would not help
    UNEXPECTED = "unexpected"  # e.g. a 3xx we cannot follow


@dataclass(frozen=True)
class Verdict:
    action: Action
    wait: float | None = None  # seconds the server asked for; None means "use backoff"
    hint: str | None = None  # the header the wait came from (Retry-After, X-RateLimit-Reset)
    capped: bool = False  # the server asked for longer than the policy allows


# A reset value below this is a delta in seconds, not an epoch (2001-09-09 as epoch).
_EPOCH_THRESHOLD = 1_000_000_000
_EPOCH_MS_THRESHOLD = 100_000_000_000


def backoff_delay(policy: RetryPolicy, attempt: int, rand: float) -> float:
    """Delay after failed try number `attempt` (1-based); `rand` in [0, 1) drives the jitter."""
    base = min(policy.backoff_max, policy.backoff_base * (2 ** max(attempt - 1, 0)))
    return max(0.0, base * (1.0 + policy.jitter * (2.0 * rand - 1.0)))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value: delta seconds or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, as_utc(when).timestamp() - now)


def parse_rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds until an X-RateLimit-Reset moment: epoch s or ms, delta s, or ISO date (Jira)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        when = parse_iso(text)
        return None if when is None else max(0.0, when.timestamp() - now)
    if number >= _EPOCH_MS_THRESHOLD:
        number /= 1000.0
    if number >= _EPOCH_THRESHOLD:
        return max(0.0, number - now)
    return max(0.0, number)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name)


def rate_limit_evidence(headers: Mapping[str, str]) -> bool:
    """True when the response says the caller is being rate limited (GitHub sends this on 403)."""
    remaining = _header(headers, "x-ratelimit-remaining")
    if remaining is not None and remaining.strip() in ("0", "0.0"):
        return True
    return _header(headers, "retry-after") is not None


def server_wait_request(headers: Mapping[str, str], now: float) -> tuple[float, str] | None:
    """The uncapped wait the server asked for and the header that said so; None if no usable hint."""
    wait = parse_retry_after(_header(headers, "retry-after"), now)
    if wait is not None:
        return wait, "Retry-After"
    remaining = _header(headers, "x-ratelimit-remaining")
    if remaining is not None and remaining.strip() in ("0", "0.0"):
        wait = parse_rate_limit_reset(_header(headers, "x-ratelimit-reset"), now)
        if wait is not None:
            return wait, "X-RateLimit-Reset"
    return None


def server_wait_hint(headers: Mapping[str, str], now: float, policy: RetryPolicy) -> float | None:
    """How long the server asked us to wait, capped; None if it gave no usable hint."""
    request = server_wait_request(headers, now)
    return None if request is None else min(request[0], policy.retry_after_cap)


def _waiting_verdict(action: Action, headers: Mapping[str, str], now: float, policy: RetryPolicy) -> Verdict:
    request = server_wait_request(headers, now)
    if request is None:
        return Verdict(action)
    wait, hint = request
    return Verdict(action, min(wait, policy.retry_after_cap), hint, capped=wait > policy.retry_after_cap)


def classify(status: int, headers: Mapping[str, str], now: float, policy: RetryPolicy) -> Verdict:
    """The verdict for a non-2xx response that is not a followed redirect."""
    if status == 429 or (status == 403 and rate_limit_evidence(headers)):
        return _waiting_verdict(Action.RATE_LIMITED, headers, now, policy)
    if status in (401, 403):
        return Verdict(Action.AUTH_FAILED)
    if status >= 500 or status == 408:
        return _waiting_verdict(Action.TRANSIENT, headers, now, policy)
    if 400 <= status < 500:
        return Verdict(Action.CLIENT_ERROR)
    return Verdict(Action.UNEXPECTED)
