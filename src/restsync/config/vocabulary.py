"""The names a config may use: keys, allowed values, and reporting of unknown keys.

Where a part of the library defines a choice (auth types, paginators and their keys, placements,
cursor sources, field types), the value here is read from it, so a new paginator or auth type
is accepted by the config, documented and checked without a second list to update.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from restsync.errors import ConfigError
from restsync.extraction.fieldpath import HINT_ALIASES
from restsync.http.auth import AUTH_TYPES  # noqa: F401
from restsync.pagination.base import CONFIG_PREFIX as PAGINATION_PREFIX  # noqa: F401
from restsync.pagination.cursor import CURSOR_SOURCES  # noqa: F401
from restsync.pagination.placement import LOCATIONS as PLACEMENTS  # noqa: F401  (where a value is sent)
from restsync.pagination.registry import PAGINATORS, accepted_keys

METHODS = ("GET", "POST")
PAGINATION_TYPES = tuple(PAGINATORS)
RESPONSE_FORMATS = ("auto", "json", "jsonl", "xml")  # auto: by Content-Type
POLL_TIME_FORMATS = ("iso", "epoch", "epoch_ms")  # or any strftime pattern containing "%"
FIELD_TYPE_ALIASES = HINT_ALIASES
FIELD_TYPES = tuple(dict.fromkeys(HINT_ALIASES.values()))

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
    "slice", "parent",
})  # fmt: skip

# `slice`: walk the time window in slices under an API's result cap
SLICE_KEYS = frozenset({"start", "step", "max_items_per_slice", "min_step", "cap_status", "cap_message"})

# `parent`: the endpoint whose items the source is listed under
PARENT_KEYS = frozenset({
    "url", "method", "query_params", "request_body", "items_path", "pagination_type",
    "pagination_config", "max_pages", "fields", "id_field",
})  # fmt: skip

# Every paginator's arguments (the class signature is the schema), and `request_body`:
# RAGFlow reads a POST body from here when the top-level request_body is absent.
PAGINATION_KEYS = frozenset().union(*(accepted_keys(style) for style in PAGINATORS)) | {"request_body"}

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
