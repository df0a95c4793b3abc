"""JSON bodies parse the same with the `fast` extra (msgspec) as with the standard parser: same
values, same verdicts on bodies cut short or not JSON, and what only json accepts still accepted."""

from __future__ import annotations

import math

import pytest

from restsync.http import body
from restsync.http.body import NotJsonError, TruncatedBodyError, decode_json_body

SAMPLES = [
    b'{"items": [{"id": 1, "title": "caf\\u00e9 \xe2\x82\xac", "n": 1.5, "ok": true, "x": null}], "total": 2}',
    b'[1, 2, 3]',
    b'{"big": 123456789012345678901234567890, "neg": -0.0, "exp": 1e300}',
    b'  {"nested": {"a": [[], {}, ""]}}\n',
]


@pytest.fixture(params=["fast", "standard"])
def parser(request, monkeypatch):
    if request.param == "standard":
        monkeypatch.setattr(body, "_fast_decode", None)
    elif body._fast_decode is None:
        pytest.skip("the fast extra is not installed")
    return request.param


@pytest.mark.parametrize("content", SAMPLES)
def test_both_parsers_give_the_same_values(parser, content):
    import json

    assert decode_json_body(content) == json.loads(content)


def test_what_only_the_standard_parser_accepts_is_still_accepted(parser):
    assert math.isnan(decode_json_body(b'{"v": NaN}')["v"])


@pytest.mark.parametrize("content", [b'{"items": [{"id": 1}', b'{"title": "unterminated', b'["caf\xc3'])
def test_a_body_cut_short_is_transient(parser, content):
    with pytest.raises(TruncatedBodyError):
        decode_json_body(content)


@pytest.mark.parametrize("content", [b"OK", b"<html><body>login</body></html>", b'{"a": 1} trailing', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_not_retried(parser, content):
    with pytest.raises(NotJsonError):
        decode_json_body(content)


def test_an_empty_body_is_none(parser):
    assert decode_json_body(b"") is None and decode_json_body(b" \n") is None


@pytest.mark.parametrize("content", [b"[" * 5000 + b"]" * 5000, b"[" + b"1" * 5000 + b"]"])
def test_json_too_deep_or_too_long_is_unusable_with_either_parser(parser, content):
    from restsync.http.body import UnusableJsonError

    with pytest.raises(UnusableJsonError):
        decode_json_body(content)
