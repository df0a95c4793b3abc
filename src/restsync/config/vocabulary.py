"""The names a config may use: keys, allowed values, and reporting of unknown keys."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from restsync.errors import ConfigError

METHODS = ("GET", "POST")
AUTH_TYPES = ("none", "api_key_header", "api_key_query", "bearer", "basic", "oauth2_client_credentials")
PAGINATION_TYPES = ("none", "page", "offset", "cursor", "next_url", "link_header", "auto")
PLACEMENTS = ("query", "body", "header")  # where a page/offset/cursor value is sent
CURSOR_SOURCES = ("response", "last_item")
RESPONSE_FORMATS = ("auto", "json", "jsonl", "xml")  # auto: by Content-Type
POLL_TIME_FORMATS = ("iso", "epoch", "epoch_ms")  # or any strftime pattern containing "%"
FIELD_TYPES = ("string", "number", "date")
FIELD_TYPE_ALIASES = {
    "string": "string", "str": "string", "text": "string",
    "number": "number", "int": "number", "integer": "number", "float": "number",
    "date": "date", "datetime": "date", "timestamp": "date",
}  # fmt: skip

SECRET_NAMES = ("api_key", "token", "username", "password", "client_secret")

TOP_LEVEL_KEYS = frozenset({
    # RAGFlow's connector keys
    "url", "method", "headers", "query_params", "auth_type", "auth_config", "credentials",
    "items_path", "id_field", "content_fields", "metadata_fields", "pagination_type",
    "pagination_config", "poll_timestamp_field", "request_body", "field_type_hints",
    "field_default_values", "content_template", "batch_size", "max_pages", "request_delay",
    # restsync extensions
    "poll_time_format", "title_field", "link_field", "link_template", "detail_url",
    "concurrency", "requests_per_second", "timeout", "max_response_mb", "source_id", "response_format",
})  # fmt: skip

PAGINATION_KEYS = frozenset({
    "page_param", "page_size_param", "start_page", "page_size", "offset_param", "limit_param",
    "start_offset", "limit", "cursor_param", "next_cursor_path", "next_cursor_field",
    "initial_cursor", "cursor_in", "page_in", "offset_in", "cursor_from", "cursor_item_field",
    "next_url_path", "has_more_path", "total_path", "total_pages_path",
    # RAGFlow reads a POST body from here when the top-level request_body is absent
    "request_body",
})  # fmt: skip

AUTH_CONFIG_KEYS = frozenset({
    "header_name", "api_key", "api_key_value", "token", "username", "password",
    "param_name", "token_url", "client_id", "client_secret", "scope", "audience",
})  # fmt: skip

CREDENTIAL_KEYS = frozenset(SECRET_NAMES)


def report_unknown_keys(
    raw: Mapping[str, Any], known: Iterable[str], *, prefix: str, strict: bool, warnings: list[str]
) -> None:
    """Name every key outside `known`, with a did-you-mean hint; an error when strict.

    RAGFlow's UI stores extra keys alongside the connector's, so by default they only warn.
    """
    known = sorted(known)
    for name in raw:
        if name in known:
            continue
        path = f"{prefix}.{name}" if prefix else str(name)
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if strict:
            raise ConfigError(f"unknown key{hint}", path)
        warnings.append(f"{path}: unknown key, ignored{hint}")
