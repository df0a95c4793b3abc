"""The pure retry / rate-limit rules in restsync.http.retry."""

from __future__ import annotations

import email.utils

import pytest

from restsync.http.retry import (
    Action,
    RetryPolicy,
    backoff_delay,
    classify,
    parse_rate_limit_reset,
    parse_retry_after,
    rate_limit_evidence,
)

NOW = 1_700_000_000.0
POLICY = RetryPolicy()


def test_backoff_doubles_and_is_capped():
    no_jitter = RetryPolicy(jitter=0.0, backoff_base=0.5, backoff_max=3.0)
    assert [backoff_delay(no_jitter, attempt, 0.5) for attempt in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_jitter_stays_within_bounds():
    policy = RetryPolicy(jitter=0.25, backoff_base=1.0)
    assert backoff_delay(policy, 1, 0.0) == pytest.approx(0.75)
    assert backoff_delay(policy, 1, 0.999999) == pytest.approx(1.25, abs=1e-5)
    assert backoff_delay(policy, 3, 0.5) == pytest.approx(4.0)


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(" 0 ", NOW) == 0.0
    assert parse_retry_after(email.utils.formatdate(NOW + 42, usegmt=True), NOW) == pytest.approx(42.0)
    assert parse_retry_after(email.utils.formatdate(NOW - 100, usegmt=True), NOW) == 0.0  # past: no wait
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None


def test_rate_limit_reset_forms():
    assert parse_rate_limit_reset(str(int(NOW + 30)), NOW) == pytest.approx(30.0)  # epoch seconds (GitHub)
    assert parse_rate_limit_reset(str(int((NOW + 12) * 1000)), NOW) == pytest.approx(12.0)  # epoch ms
    assert parse_rate_limit_reset("15", NOW) == 15.0  # a small number is a delta
    # NOW is 2023-11-14T22:13:20Z.
    assert parse_rate_limit_reset("2023-11-14T22:12:20Z", NOW) == 0.0  # ISO, already past
    assert parse_rate_limit_reset("2023-11-14T22:14:20.000Z", NOW) == pytest.approx(60.0)  # ISO (Jira)
    assert parse_rate_limit_reset("2023-11-14T23:14:20+01:00", NOW) == pytest.approx(60.0)
    assert parse_rate_limit_reset("garbage", NOW) is None


def test_429_uses_retry_after_capped():
    verdict = classify(429, {"retry-after": "5"}, NOW, POLICY)
    assert (verdict.action, verdict.wait) == (Action.RATE_LIMITED, 5.0)
    capped = classify(429, {"retry-after": "86400"}, NOW, RetryPolicy(retry_after_cap=120.0))
    assert capped.wait == 120.0
    assert classify(429, {}, NOW, POLICY).wait is None  # no hint: backoff


def test_exhausted_quota_waits_until_reset():
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 90))}
    assert classify(429, headers, NOW, POLICY).wait == pytest.approx(90.0)
    # Remaining > 0 means the reset header is informational only.
    assert classify(429, {"x-ratelimit-remaining": "10", "x-ratelimit-reset": str(int(NOW + 90))}, NOW, POLICY).wait is None


def test_403_is_rate_limit_only_with_evidence():
    github = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 20))}
    assert classify(403, github, NOW, POLICY).action is Action.RATE_LIMITED
    assert classify(403, {"retry-after": "60"}, NOW, POLICY).action is Action.RATE_LIMITED
    assert classify(403, {"x-ratelimit-remaining": "42"}, NOW, POLICY).action is Action.AUTH_FAILED
    assert classify(403, {}, NOW, POLICY).action is Action.AUTH_FAILED
    assert not rate_limit_evidence({"x-ratelimit-remaining": "1"})


@pytest.mark.parametrize("status,action", [
    (401, Action.AUTH_FAILED), (400, Action.CLIENT_ERROR), (404, Action.CLIENT_ERROR),
    (422, Action.CLIENT_ERROR), (408, Action.TRANSIENT), (500, Action.TRANSIENT),
    (502, Action.TRANSIENT), (503, Action.TRANSIENT), (300, Action.UNEXPECTED),
])
def test_status_classification(status, action):
    assert classify(status, {}, NOW, POLICY).action is action


def test_503_with_retry_after_uses_the_hint():
    assert classify(503, {"retry-after": "3"}, NOW, POLICY).wait == 3.0
