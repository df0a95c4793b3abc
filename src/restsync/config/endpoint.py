"""The endpoint URL: validation by parsing (never by string prefix) and the id namespace it implies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from restsync.errors import ConfigError

ALLOWED_SCHEMES = ("http", "https")
POLL_PLACEHOLDERS = ("{poll_start}", "{poll_end}")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PLACEHOLDER = re.compile(r"\{[^{}/?#]*\}")
# What a host may be once parsed (IDNA names are ASCII by then; IPv6 without brackets).
_HOST = re.compile(r"[A-Za-z0-9._:-]+")


def check_url(url: str, key: str) -> None:
    """An absolute http(s) URL with a host. Placeholders like `{tenant}` may appear in the path.

    Address policy (localhost, private ranges) is the HTTP layer's job, because an operator
    may allow internal APIs there.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(f"invalid URL {url!r}: {exc}", key) from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "(none)"
        raise ConfigError(f"Unsupported URL scheme {shown!r}; only http and https are allowed", key)
    if not parts.hostname:
        raise ConfigError(f"URL {url!r} must include a hostname", key)
    # Parsed again as the HTTP client will: what it refuses (an octal IP, circled digits, a NUL)
    # or cannot resolve (a space in the host) is a config mistake, not a network fault to retry.
    probe = _PLACEHOLDER.sub("x", url)  # `{name}` placeholders are filled per request
    try:
        host = httpx.URL(probe).raw_host.decode("ascii", errors="replace")  # IDNA-encoded
    except httpx.InvalidURL as exc:
        raise ConfigError(f"invalid URL {url!r}: {exc}", key) from None
    if not _HOST.fullmatch(host):
        raise ConfigError(f"invalid URL {url!r}: the host {parts.hostname!r} is not a host name", key)


def uses_poll_placeholders(*values: Any) -> bool:
    """True if a string anywhere inside the values names `{poll_start}` or `{poll_end}`."""
    return any(mark in text for value in values for text in _strings(value) for mark in POLL_PLACEHOLDERS)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for k, v in value.items() for text in _strings(k) + _strings(v)]
    if isinstance(value, (list, tuple)):
        return [text for v in value for text in _strings(v)]
    return []


def hostname(url: str) -> str:
    """The lowercased host, as URL parsing sees it (`a.com.evil.tld` is not `a.com`)."""
    return (urlsplit(url).hostname or "").lower()


def derive_namespace(
    method: str,
    url: str,
    query_params: Mapping[str, str],
    request_body: Any,
    ignored_params: Iterable[str] = (),
) -> str:
    """A stable text naming what this endpoint lists, so two sources' ids never collide.

    Built from method, scheme, host[:port], path and the sorted query; values that are the
    incremental window (`{poll_start}`/`{poll_end}`) and the pagination parameters are left
    out because they change per run or per page, not what is listed. A POST body is part of
    the identity (two searches on one endpoint list different things).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(query_params)
    skip = set(ignored_params)
    kept = sorted(
        (name, value)
        for name, value in query.items()
        if name not in skip and not any(mark in value for mark in POLL_PLACEHOLDERS)
    )
    text = f"{method} {scheme}://{host}{parts.path or '/'}"
    if kept:
        text += "?" + "&".join(f"{name}={value}" for name, value in kept)
    body = _without_poll_values(request_body)
    if body not in (None, {}, []):
        text += " " + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text


def _without_poll_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_poll_values(v) for k, v in value.items() if not _is_poll_value(v)}
    if isinstance(value, list):
        return [_without_poll_values(v) for v in value if not _is_poll_value(v)]
    return value


def _is_poll_value(value: Any) -> bool:
    return isinstance(value, str) and any(mark in value for mark in POLL_PLACEHOLDERS)
