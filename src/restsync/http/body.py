"""Turn a 2xx body into JSON data, telling a body cut short (transient) from one that is not JSON."""

from __future__ import annotations

import json
from typing import Any


class TruncatedBodyError(Exception):
    """The body ends in the middle of a JSON value: the transfer was cut short, worth a retry."""


class NotJsonError(Exception):
    """The body is complete but is not JSON: retrying would give the same answer."""


def decode_json_body(content: bytes) -> Any:
    """Parsed JSON, or None for an empty body (204 and friends)."""
    if not content or content.isspace():
        return None
    try:
        return json.loads(content)
    except UnicodeDecodeError as exc:
        if exc.end >= len(content) and exc.reason == "unexpected end of data":
            raise TruncatedBodyError("body ends inside a multi-byte character") from None
        raise NotJsonError(f"body is not valid UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        if _ends_inside_value(exc):
            raise TruncatedBodyError(f"body ends inside a JSON value ({exc.msg})") from None
        raise NotJsonError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _ends_inside_value(exc: json.JSONDecodeError) -> bool:
    # The parser ran out of text (error at the very end), or a string never closed. A document
    # that starts like JSON is needed, so plain text ("OK") is not mistaken for a cut-short body.
    text = exc.doc.rstrip()
    if not text or text[0] not in "[{\"":
        return False
    return exc.pos >= len(text) or exc.msg.startswith("Unterminated string")
