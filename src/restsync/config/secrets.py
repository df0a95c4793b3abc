"""Where secrets come from, and keeping them out of anything printed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restsync.config.coerce import stringify

# RAGFlow's fallbacks: the api key may sit in auth_config as `api_key_value` (what its UI
# stores) or `api_key`; token, username and password may sit in auth_config too.
_AUTH_CONFIG_FALLBACKS = {
    "api_key": ("api_key_value", "api_key"),
    "token": ("token",),
    "username": ("username",),
    "password": ("password",),
    "client_secret": ("client_secret",),
}
SECRET_AUTH_CONFIG_KEYS = frozenset({"api_key", "api_key_value", "token", "password", "client_secret"})

REDACTED = "***"
_SENSITIVE_NAME = re.compile(
    r"^(proxy-)?authorization$|x-auth|access[-_]?token|auth[-_]?token|^token$|secret|passw|api[-_]?key|^key$"
    r"|private[-_]?token|signature|^sig$|cookie|session",
    re.IGNORECASE,
)


def merge_credentials(credentials: Mapping[str, Any], auth_config: Mapping[str, Any]) -> dict[str, str]:
    """`credentials` first, then auth_config's fallbacks; first non-empty value wins.

    An explicitly empty value is kept when nothing else is given (basic auth with an empty
    password, as Stripe keys use). Presence is not checked here: auth does that when it loads.
    """
    merged = {name: stringify(value) for name, value in credentials.items() if value is not None}
    for name, fallbacks in _AUTH_CONFIG_FALLBACKS.items():
        if merged.get(name):
            continue
        for fallback in fallbacks:
            value = auth_config.get(fallback)
            if value is not None and stringify(value) != "":
                merged[name] = stringify(value)
                break
    return merged


def is_sensitive_name(name: str) -> bool:
    """Header or query names that usually carry a secret (Authorization, X-API-Key, access_token...)."""
    return bool(_SENSITIVE_NAME.search(name))


def redact_values(values: Mapping[str, str]) -> dict[str, str]:
    return {name: (REDACTED if is_sensitive_name(name) and value else value) for name, value in values.items()}


def public_auth_config(auth_config: Mapping[str, Any]) -> dict[str, Any]:
    """auth_config without its secrets (they live in `credentials`)."""
    return {name: value for name, value in auth_config.items() if name not in SECRET_AUTH_CONFIG_KEYS}
