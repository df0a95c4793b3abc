"""Turn a 2xx body into JSON data, telling a body cut short (transient) from one that is not JSON."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

try:  # the `fast` extra: about 3x faster than json on API pages; the standard parser otherwise
    from msgspec import DecodeError as _FastDecodeError
    from msgspec.json import decode as _fast_decode
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    _fast_decode = None


class TruncatedBodyError(Exception):
    """The body ends in the middle of a JSON value: the transfer was cut short, worth a retry."""


class NotJsonError(Exception):
    """The body is complete but is not JSON: retrying would give the same answer."""


class UnusableJsonError(Exception):
    """The body is JSON that restsync will not read (nested too deep, a number too long)."""


def decode_json_body(content: bytes) -> Any:
    """Parsed JSON, or None for an empty body (204 and friends)."""
    if not content or content.isspace():
        return None
    if _fast_decode is not None:
        try:
            return _fast_decode(content)
        except (_FastDecodeError, RecursionError):
            pass  # the standard parser below gives the verdict (cut short, not JSON, unusable), or accepts NaN
    try:
        return json.loads(content)
    except RecursionError:
        # The parser recurses per level; Python's stack ends it near 1,000 levels. Any code
        # walking such data would overflow too, so it is refused here, by name.
        raise UnusableJsonError("response JSON is nested too deeply to read (more than about "
                                f"{sys.getrecursionlimit()} levels)") from None
    except UnicodeDecodeError as exc:
        if exc.end >= len(content) and exc.reason == "unexpected end of data":
            raise TruncatedBodyError("body ends inside a multi-byte character") from None
        raise NotJsonError(f"body is not valid UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        if _ends_inside_value(exc):
            raise TruncatedBodyError(f"body ends inside a JSON value ({exc.msg})") from None
        raise NotJsonError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:  # int() refuses more than 4,300 digits
        raise UnusableJsonError(f"response JSON holds a number too long to read ({str(exc).split(';')[0]})") from None


def duplicate_keys(content: bytes) -> list[str]:
    """Object keys that appear twice in one object of `content` (JSON keeps the last silently).

    A second parse with a hook on every object: too slow for every page of a walk, so the client
    runs it on a sample (the first page, which `check` and `preview` show).
    """
    found: dict[str, None] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    found.setdefault(key)
                seen.add(key)
        return result

    try:
        json.loads(content, object_pairs_hook=pairs_hook)
    except (ValueError, RecursionError):
        return []
    return list(found)


def _ends_inside_value(exc: json.JSONDecodeError) -> bool:
    # The parser ran out of text (error at the very end), or a string never closed. A document
    # that starts like JSON is needed, so plain text ("OK") is not mistaken for a cut-short body.
    text = exc.doc.rstrip()
    if not text or text[0] not in "[{\"":
        return False
    return exc.pos >= len(text) or exc.msg.startswith("Unterminated string")


BODY_PREVIEW_CHARS = 80
_HTML_STARTS = ("<!doctype html", "<html", "<head", "<body")


def describe_not_json(content: bytes, content_type: str | None, detail: str,
                      redact: Callable[[str], str]) -> str:
    """Why a complete body is unusable: its Content-Type, its first characters, and a hint.

    `redact` runs on the whole preview source before it is cut, so a secret that straddles the
    cut is still masked whole.
    """
    text = " ".join(content[: BODY_PREVIEW_CHARS * 8].decode("utf-8", errors="replace").split())
    text = redact(text)
    preview = text[:BODY_PREVIEW_CHARS] + ("..." if len(text) > BODY_PREVIEW_CHARS else "")
    kind = content_type.strip() if content_type and content_type.strip() else "no Content-Type"
    message = f"response is not valid JSON ({detail}); Content-Type: {kind}; body starts: {preview!r}"
    if looks_like_html(text, content_type):
        message += " - an HTML page, not API data: a login or error page? Check the URL and the credentials"
    return message


def looks_like_html(text: str, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    return text.lstrip().lower().startswith(_HTML_STARTS)
