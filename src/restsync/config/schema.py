"""`SourceConfig`: one REST source, every key normalised and checked once, at load time.

Any config that RAGFlow's connector accepts loads here unchanged; the differences are that
bad values are reported (naming the key) instead of silently ignored, and unknown keys are
named in `warnings` (errors with strict=True).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync.config import coerce, endpoint
from restsync.config.headers import check_header_auth, check_headers
from restsync.config.pagination import PaginationConfig
from restsync.config.parent import ParentConfig
from restsync.config.slicing import SliceConfig
from restsync.config.secrets import (
    collect_secret_values,
    mask_values,
    merge_credentials,
    public_auth_config,
    redact_values,
)
from restsync.config.vocabulary import (
    AUTH_CONFIG_KEYS,
    AUTH_TYPES,
    CREDENTIAL_KEYS,
    FIELD_TYPE_ALIASES,
    FIELD_TYPES,
    METHODS,
    PAGINATION_PREFIX,
    PAGINATION_TYPES,
    POLL_TIME_FORMATS,
    RESPONSE_FORMATS,
    TOP_LEVEL_KEYS,
    report_unknown_keys,
)
from restsync.errors import ConfigError

DEFAULT_BATCH_SIZE = 2  # RAGFlow's INDEX_BATCH_SIZE
DEFAULT_MAX_PAGES = 1000
# RAGFlow paused 0.5 s between pages by default (190 docs/s). restsync obeys 429, Retry-After and
# X-RateLimit-* instead, and pauses only when a config asks for it.
DEFAULT_REQUEST_DELAY = 0.0
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RESPONSE_MB = 64.0
# Upper bounds: larger values are mistakes (1e30 once overflowed the socket layer), not intent.
MAX_TIMEOUT = 3600.0
MAX_REQUEST_DELAY = 3600.0
MIN_REQUESTS_PER_SECOND = 0.001
MAX_RESPONSE_MB = 4096.0
# A config nested deeper than this is a mistake or an attack; deeper data also overflows
# Python's recursion limit in the code that walks it.
MAX_CONFIG_DEPTH = 64


@dataclass(frozen=True, repr=False)
class SourceConfig:
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    query_params: dict[str, str] = field(default_factory=dict)
    auth_type: str = "none"
    auth_config: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict, compare=False)
    items_path: str | None = None
    id_field: str | None = None
    content_fields: list[str] = field(default_factory=list)
    metadata_fields: list[str] = field(default_factory=list)
    pagination_type: str = "none"
    pagination: PaginationConfig = field(default_factory=PaginationConfig)
    poll_timestamp_field: str | None = None
    poll_time_format: str = "iso"
    request_body: Any = None
    field_type_hints: dict[str, str] = field(default_factory=dict)
    field_default_values: dict[str, Any] = field(default_factory=dict)
    content_template: str | None = None
    title_field: str | None = None
    link_field: str | None = None
    link_template: str | None = None
    detail_url: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    max_pages: int = DEFAULT_MAX_PAGES
    request_delay: float = DEFAULT_REQUEST_DELAY
    concurrency: int = DEFAULT_CONCURRENCY
    requests_per_second: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_response_mb: float = DEFAULT_MAX_RESPONSE_MB
    source_id: str | None = None
    response_format: str = "auto"
    slice: SliceConfig | None = None  # walk the time window in slices (APIs that cap a query's depth)
    parent: ParentConfig | None = None  # list this endpoint once per item of a parent endpoint
    warnings: list[str] = field(default_factory=list, compare=False)
    # Values that came from `${ENV}` substitution (set by the loader): secrets wherever they sit.
    env_values: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, strict: bool = False) -> SourceConfig:
        """Build from a RAGFlow-style mapping; raises ConfigError naming the offending key."""
        if not isinstance(raw, Mapping):
            raise ConfigError(f"a source config must be a mapping (JSON object), got {type(raw).__name__}")
        warnings: list[str] = []
        coerce.check_depth(raw, "", MAX_CONFIG_DEPTH)
        report_unknown_keys(raw, TOP_LEVEL_KEYS, prefix="", strict=strict, warnings=warnings)

        url = coerce.optional_str(raw.get("url"), "url")
        if not url:
            raise ConfigError("Invalid REST API config: url is required", "url")
        endpoint.check_url(url, "url")
        method = _method(raw.get("method"))

        auth_type = coerce.choice(raw.get("auth_type"), "auth_type", AUTH_TYPES, "none")
        auth_config = coerce.text_to_dict(raw.get("auth_config"), "auth_config", warnings)
        report_unknown_keys(auth_config, AUTH_CONFIG_KEYS, prefix="auth_config", strict=strict, warnings=warnings)
        raw_credentials = coerce.text_to_dict(raw.get("credentials"), "credentials", warnings)
        report_unknown_keys(raw_credentials, CREDENTIAL_KEYS, prefix="credentials", strict=strict, warnings=warnings)
        if auth_type == "oauth2_client_credentials":
            _check_token_url(auth_config.get("token_url"))

        pagination_raw = coerce.text_to_dict(raw.get("pagination_config"), "pagination_config", warnings)
        pagination = PaginationConfig.from_mapping(pagination_raw, strict=strict, warnings=warnings)
        request_body = coerce.json_value(raw.get("request_body"), "request_body")
        if request_body is None:  # RAGFlow's fallback location for a POST body
            request_body = coerce.json_value(pagination_raw.get("request_body"), "pagination_config.request_body")
        _check_body_use(method, request_body, pagination, warnings)

        config = cls(
            url=url,
            method=method,
            headers=coerce.text_to_str_dict(raw.get("headers"), "headers", warnings),
            query_params=coerce.text_to_str_dict(raw.get("query_params"), "query_params", warnings),
            auth_type=auth_type,
            auth_config=auth_config,
            credentials=merge_credentials(raw_credentials, auth_config),
            items_path=coerce.optional_str(raw.get("items_path"), "items_path"),
            id_field=coerce.optional_str(raw.get("id_field"), "id_field"),
            content_fields=coerce.field_list(raw.get("content_fields"), "content_fields"),
            metadata_fields=coerce.field_list(raw.get("metadata_fields"), "metadata_fields"),
            pagination_type=coerce.choice(raw.get("pagination_type"), "pagination_type", PAGINATION_TYPES, "none"),
            pagination=pagination,
            poll_timestamp_field=coerce.optional_str(raw.get("poll_timestamp_field"), "poll_timestamp_field"),
            poll_time_format=_poll_time_format(raw.get("poll_time_format")),
            request_body=request_body,
            field_type_hints=_field_type_hints(raw.get("field_type_hints"), warnings),
            field_default_values=coerce.text_to_dict(raw.get("field_default_values"), "field_default_values", warnings),
            content_template=_template(raw.get("content_template"), "content_template"),
            title_field=coerce.optional_str(raw.get("title_field"), "title_field"),
            link_field=coerce.optional_str(raw.get("link_field"), "link_field"),
            link_template=coerce.optional_str(raw.get("link_template"), "link_template"),
            detail_url=coerce.optional_str(raw.get("detail_url"), "detail_url"),
            batch_size=_batch_size(raw.get("batch_size")),
            max_pages=_or_default(
                coerce.integer(raw.get("max_pages"), "max_pages", minimum=1, expected="a positive integer"),
                DEFAULT_MAX_PAGES,
            ),
            request_delay=_or_default(
                coerce.number(raw.get("request_delay"), "request_delay", minimum=0, maximum=MAX_REQUEST_DELAY,
                              expected="a non-negative number of seconds"),
                DEFAULT_REQUEST_DELAY,
            ),
            concurrency=_or_default(
                coerce.integer(raw.get("concurrency"), "concurrency", minimum=1, expected="a positive integer"),
                DEFAULT_CONCURRENCY,
            ),
            requests_per_second=_requests_per_second(raw.get("requests_per_second")),
            timeout=_or_default(
                coerce.number(raw.get("timeout"), "timeout", minimum=0, exclusive=True, maximum=MAX_TIMEOUT,
                              expected="a positive number of seconds"),
                DEFAULT_TIMEOUT,
            ),
            max_response_mb=_or_default(
                coerce.number(raw.get("max_response_mb"), "max_response_mb", minimum=0, exclusive=True,
                              maximum=MAX_RESPONSE_MB, expected="a positive number of megabytes"),
                DEFAULT_MAX_RESPONSE_MB,
            ),
            source_id=coerce.optional_str(raw.get("source_id"), "source_id"),
            response_format=coerce.choice(raw.get("response_format"), "response_format", RESPONSE_FORMATS, "auto"),
            slice=SliceConfig.from_mapping(raw.get("slice"), strict=strict, warnings=warnings),
            parent=ParentConfig.from_mapping(raw.get("parent"), strict=strict, warnings=warnings),
            warnings=warnings,
        )
        config._check_detail_url()
        if config.slice is not None:
            config.slice.check_source(url=config.url, query_params=config.query_params,
                                      request_body=config.request_body,
                                      poll_timestamp_field=config.poll_timestamp_field,
                                      has_parent=config.parent is not None)
        if config.parent is not None:
            config.parent.check_child(url=config.url, query_params=config.query_params,
                                      request_body=config.request_body, headers=config.headers)
        check_headers(config.headers)
        check_header_auth(config.auth_type, config.auth_config, config.credentials)
        return config

    # -- derived views ---------------------------------------------------------------------

    @property
    def hostname(self) -> str:
        return endpoint.hostname(self.url)

    @property
    def namespace(self) -> str:
        """What document ids are namespaced by: `source_id`, else the endpoint's identity."""
        if self.source_id:
            return self.source_id
        return endpoint.derive_namespace(
            self.method, self.url, self.query_params, self.request_body, self.pagination.parameter_names()
        )

    def check_required(self) -> None:
        """The check RAGFlow runs before a sync or test: something must become the content."""
        if not self.content_fields and not self.content_template:
            raise ConfigError("At least one content field must be configured (content_fields).", "content_fields")

    def secret_values(self) -> list[str]:
        """Every value that must never be shown (for `HttpClient(secrets=...)`): `${ENV}` values,
        credentials, auth_config secrets, and values of credential-looking headers and query params."""
        return collect_secret_values(env_values=self.env_values, credentials=self.credentials, url=self.url,
                                     headers=self.headers, query_params=self.query_params,
                                     auth_config=self.auth_config)

    def to_dict(self) -> dict[str, Any]:
        """Normalised, JSON-able and loadable again; secrets are left out or masked."""
        public = self._public_dict()
        # Secrets also hide under ordinary names (a `${ENV}` value, a token in the URL's own query,
        # a key in the request body): mask every known secret value wherever a request carries it.
        secrets = [value for value in self.secret_values() if len(value) >= 4]
        for key in ("url", "headers", "query_params", "request_body", "detail_url"):
            public[key] = mask_values(public[key], secrets)
        if "parent" in public:
            parent = public["parent"]
            parent["query_params"] = redact_values(parent["query_params"])
            for key in ("url", "query_params", "request_body"):
                parent[key] = mask_values(parent[key], secrets)
        return public

    def _public_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "method": self.method,
            "headers": redact_values(self.headers),
            "query_params": redact_values(self.query_params),
            "auth_type": self.auth_type,
            "auth_config": copy.deepcopy(public_auth_config(self.auth_config)),
            "items_path": self.items_path,
            "id_field": self.id_field,
            "content_fields": list(self.content_fields),
            "metadata_fields": list(self.metadata_fields),
            "pagination_type": self.pagination_type,
            "pagination_config": self.pagination.to_dict(),
            "poll_timestamp_field": self.poll_timestamp_field,
            "poll_time_format": self.poll_time_format,
            "request_body": copy.deepcopy(self.request_body),
            "field_type_hints": dict(self.field_type_hints),
            "field_default_values": copy.deepcopy(self.field_default_values),
            "content_template": self.content_template,
            "title_field": self.title_field,
            "link_field": self.link_field,
            "link_template": self.link_template,
            "detail_url": self.detail_url,
            "batch_size": self.batch_size,
            "max_pages": self.max_pages,
            "request_delay": self.request_delay,
            "concurrency": self.concurrency,
            "requests_per_second": self.requests_per_second,
            "timeout": self.timeout,
            "max_response_mb": self.max_response_mb,
            "source_id": self.source_id,
            "response_format": self.response_format,
            **({"slice": self.slice.to_dict()} if self.slice else {}),
            **({"parent": self.parent.to_dict()} if self.parent else {}),
        }

    def __repr__(self) -> str:  # the generated repr would print credentials
        return f"SourceConfig({self.to_dict()!r})"

    def _check_detail_url(self) -> None:
        if self.detail_url and "://" in self.detail_url:
            endpoint.check_url(self.detail_url, "detail_url")


# -- per-key helpers (each names its key in errors) --------------------------------------------


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _method(value: Any) -> str:
    if coerce.is_unset(value):
        return "GET"
    method = coerce.stringify(value).strip().upper()
    if method not in METHODS:
        raise ConfigError(f"Unsupported HTTP method '{method}'. Expected GET or POST.", "method")
    return method


def _requests_per_second(value: Any) -> float | None:
    key = "requests_per_second"
    rate = coerce.number(value, key, minimum=0, exclusive=True, expected="a positive number")
    if rate is not None and rate < MIN_REQUESTS_PER_SECOND:
        # 1e-30 would mean a pause of 1e30 seconds between requests, which no clock can sleep.
        raise ConfigError(f"must be at least {MIN_REQUESTS_PER_SECOND:g} (one request per "
                          f"{1 / MIN_REQUESTS_PER_SECOND:g} s), got {rate:g}", key)
    return rate


def _batch_size(value: Any) -> int:
    size = coerce.integer(value, "batch_size", expected="an integer")
    # RAGFlow's Go port: 0 or negative means "use the default".
    return DEFAULT_BATCH_SIZE if size is None or size <= 0 else size


def _poll_time_format(value: Any) -> str:
    text = coerce.optional_str(value, "poll_time_format")
    if text is None:
        return "iso"
    if text.lower() in POLL_TIME_FORMATS:
        return text.lower()
    if "%" in text:
        return text  # a strftime pattern
    raise ConfigError(
        f"expected iso, epoch, epoch_ms or a strftime pattern containing '%', got {value!r}", "poll_time_format"
    )


def _field_type_hints(value: Any, warnings: list[str]) -> dict[str, str]:
    hints = {}
    for path, hint in coerce.text_to_dict(value, "field_type_hints", warnings).items():
        normalised = FIELD_TYPE_ALIASES.get(str(hint).strip().lower()) if isinstance(hint, str) else None
        if normalised is None:
            raise ConfigError(f"expected one of {', '.join(FIELD_TYPES)}, got {hint!r}", f"field_type_hints.{path}")
        hints[path] = normalised
    return hints


def _template(value: Any, key: str) -> str | None:
    # Templates keep their whitespace (leading newlines may be intended); only blank means unset.
    if coerce.is_unset(value):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"expected a string, got {value!r}", key)
    return value


def _check_token_url(token_url: Any) -> None:
    key = "auth_config.token_url"
    if coerce.is_unset(token_url):
        raise ConfigError("auth_type 'oauth2_client_credentials' needs auth_config.token_url", key)
    if not isinstance(token_url, str):
        raise ConfigError(f"expected a URL string, got {token_url!r}", key)
    endpoint.check_url(token_url.strip(), key)


def _check_body_use(method: str, body: Any, pagination: PaginationConfig, warnings: list[str]) -> None:
    for name, placement in pagination.placements().items():
        if placement == "body" and method != "POST":
            raise ConfigError(f"'body' placement needs method POST (the request is {method})", f"{PAGINATION_PREFIX}.{name}")
    if body is not None and method == "GET":
        warnings.append("request_body: ignored because method is GET (a GET request has no body)")
