"""Where secrets come from, and keeping them out of anything printed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from restsync.config.coerce import stringify
from restsync.config.vocabulary import AUTH_CONFIG_KEYS
from restsync.http.redact import is_sensitive_name, secret_parts
from restsync.strings import replace_in_strings

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


def redact_values(values: Mapping[str, str]) -> dict[str, str]:
    return {name: (REDACTED if is_sensitive_name(name) and value else value) for name, value in values.items()}


def public_auth_config(auth_config: Mapping[str, Any]) -> dict[str, Any]:
    """auth_config without its secrets (they live in `credentials`)."""
    return {name: value for name, value in auth_config.items() if name not in SECRET_AUTH_CONFIG_KEYS}


def collect_secret_values(*, env_values: Iterable[str], credentials: Mapping[str, str], url: str,
                          headers: Mapping[str, str], query_params: Mapping[str, str],
                          auth_config: Mapping[str, Any]) -> list[str]:
    """Every value of a source config that must never be shown, first seen first, no repeats.

    `${ENV}` values whatever their key (the config author chose to keep them out of the file),
    credentials, auth_config secrets, and values under credential-looking names: headers and
    query params (the URL's own query string too).
    """
    found: list[str] = [*env_values, *credentials.values()]
    named = [*headers.items(), *query_params.items(), *parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    for name, value in named:
        if is_sensitive_name(str(name)):
            found.extend(secret_parts(stringify(value)))
    for name, value in auth_config.items():
        # Known keys that only look sensitive (token_url, header_name) hold no secret.
        secret = name in SECRET_AUTH_CONFIG_KEYS or (name not in AUTH_CONFIG_KEYS and is_sensitive_name(str(name)))
        if secret and isinstance(value, (str, int)) and not isinstance(value, bool):
            found.extend(secret_parts(stringify(value)))
    return [value for value in dict.fromkeys(found) if value.strip()]


def mask_values(value: Any, secrets: list[str]) -> Any:
    """`value` with every occurrence of each secret replaced by the mask, through dicts and lists."""
    # Longest first, so a secret that contains a shorter one is masked whole.
    return replace_in_strings(value, {secret: REDACTED for secret in sorted(secrets, key=len, reverse=True)})
