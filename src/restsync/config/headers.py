"""Headers a config sends: names must be HTTP header names, values single lines of ASCII.

Checked at load time, so a header that would split the request (CR/LF) or that h11 would refuse
to write fails naming its key instead of as a network error on the first request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restsync.errors import ConfigError

# Header names are RFC 9110 tokens; values must not hold control characters (CR/LF would
# split the header), tabs aside.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_BAD = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_NAME = "not a valid HTTP header name (letters, digits and -_.!#$%&'*+^`|~ only; no spaces or colons)"
# Auth types whose secret travels as a header value (basic is base64: any bytes go).
_HEADER_SECRETS = {"bearer": ("token",), "api_key_header": ("api_key",)}


def check_headers(headers: Mapping[str, str]) -> None:
    for name, value in headers.items():
        key = f"headers.{name}"
        if not (name.isascii() and value.isascii()):
            raise ConfigError("HTTP header names and values must be ASCII text", key=key)
        if "${" in name:
            raise ConfigError("a header name cannot hold ${...}: environment variables are substituted "
                              "in values only", key=key)
        if not _HEADER_NAME.fullmatch(name):
            raise ConfigError(_BAD_NAME, key=key)
        if _HEADER_VALUE_BAD.search(value):
            raise ConfigError("a header value cannot hold line breaks or other control characters", key=key)


def check_header_auth(auth_type: str, auth_config: Mapping[str, Any], credentials: Mapping[str, str]) -> None:
    """Auth that travels in a header: its name must be a header name, its secret one line."""
    name = auth_config.get("header_name")
    if auth_type == "api_key_header" and isinstance(name, str) and name.strip():
        if not _HEADER_NAME.fullmatch(name.strip()):
            raise ConfigError(_BAD_NAME, key="auth_config.header_name")
    for secret in _HEADER_SECRETS.get(auth_type, ()):
        value = credentials.get(secret)
        if isinstance(value, str) and _HEADER_VALUE_BAD.search(value):
            # The value is a secret: the message says what is wrong, never what it is.
            raise ConfigError("holds a line break or control character (a trailing newline from a file?)",
                              key=f"credentials.{secret}")
