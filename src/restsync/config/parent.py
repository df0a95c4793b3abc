"""`parent`: the endpoint whose items the source's own endpoint is listed under.

    url: https://api.github.com/repos/{parent.full_name}/issues   # the child: one listing per parent
    parent:
      url: https://api.github.com/orgs/acme/repos
      pagination_type: link_header
      fields: [id, full_name]        # kept in each child document's metadata as parent.id, parent.full_name
      id_field: id                   # what tells parents apart (default: the first of fields)

The parent shares the source's auth, headers, limits and timeouts; it has its own url, method,
query_params, request_body, items_path, pagination and max_pages. `{parent.<field>}` placeholders in
the source's url, query_params, request_body or headers take each parent item's value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync.config import coerce, endpoint
from restsync.config.pagination import PaginationConfig
from restsync.config.vocabulary import METHODS, PAGINATION_TYPES, PARENT_KEYS, report_unknown_keys
from restsync.errors import ConfigError

PREFIX = "parent"
PLACEHOLDER = re.compile(r"\{parent\.([^{}]+)\}")
METADATA_PREFIX = "parent."


@dataclass(frozen=True)
class ParentConfig:
    url: str
    fields: list[str]
    id_field: str
    method: str = "GET"
    query_params: dict[str, str] = field(default_factory=dict)
    request_body: Any = None
    items_path: str | None = None
    pagination_type: str = "none"
    pagination: PaginationConfig = field(default_factory=PaginationConfig)
    max_pages: int | None = None

    @classmethod
    def from_mapping(cls, raw: Any, *, strict: bool, warnings: list[str]) -> "ParentConfig | None":
        if coerce.is_unset(raw):
            return None
        if not isinstance(raw, Mapping):
            raise ConfigError("expected a mapping with the parent endpoint's url and fields", PREFIX)
        report_unknown_keys(raw, PARENT_KEYS, prefix=PREFIX, strict=strict, warnings=warnings)
        url = coerce.optional_str(raw.get("url"), f"{PREFIX}.url")
        if not url:
            raise ConfigError("the parent endpoint needs a url", f"{PREFIX}.url")
        endpoint.check_url(url, f"{PREFIX}.url")
        method = (coerce.optional_str(raw.get("method"), f"{PREFIX}.method") or "GET").upper()
        if method not in METHODS:
            raise ConfigError(f"Unsupported HTTP method '{method}'. Expected GET or POST.", f"{PREFIX}.method")
        fields = coerce.field_list(raw.get("fields"), f"{PREFIX}.fields") or ["id"]
        id_field = coerce.optional_str(raw.get("id_field"), f"{PREFIX}.id_field") or fields[0]
        pagination_raw = coerce.text_to_dict(raw.get("pagination_config"), f"{PREFIX}.pagination_config", warnings)
        nested: list[str] = []
        pagination = PaginationConfig.from_mapping(pagination_raw, strict=strict, warnings=nested)
        warnings += [f"{PREFIX}.{line}" for line in nested]
        return cls(
            url=url,
            fields=fields,
            id_field=id_field,
            method=method,
            query_params=coerce.text_to_str_dict(raw.get("query_params"), f"{PREFIX}.query_params", warnings),
            request_body=coerce.json_value(raw.get("request_body"), f"{PREFIX}.request_body"),
            items_path=coerce.optional_str(raw.get("items_path"), f"{PREFIX}.items_path"),
            pagination_type=coerce.choice(raw.get("pagination_type"), f"{PREFIX}.pagination_type",
                                          PAGINATION_TYPES, "none"),
            pagination=pagination,
            max_pages=coerce.integer(raw.get("max_pages"), f"{PREFIX}.max_pages", minimum=1,
                                     expected="a positive integer"),
        )

    def check_child(self, *, url: str, query_params: Mapping[str, str], request_body: Any,
                    headers: Mapping[str, str]) -> None:
        """The source listed per parent may use only the parent fields that are read."""
        self.check_placeholders(("url", url), ("query_params", query_params), ("request_body", request_body),
                                ("headers", headers))

    def check_placeholders(self, *values: tuple[str, Any]) -> None:
        """Every `{parent.X}` the child uses must be one of `fields` (what is read from each parent)."""
        for key, value in values:
            for name in sorted(set(placeholders(value))):
                if name not in self.fields:
                    raise ConfigError(f"{{parent.{name}}} names a field that parent.fields does not list "
                                      f"({', '.join(self.fields)})", key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "method": self.method,
            "query_params": dict(self.query_params),
            "request_body": self.request_body,
            "items_path": self.items_path,
            "pagination_type": self.pagination_type,
            "pagination_config": self.pagination.to_dict(),
            "max_pages": self.max_pages,
            "fields": list(self.fields),
            "id_field": self.id_field,
        }


def placeholders(value: Any) -> list[str]:
    """The field paths of every `{parent.X}` inside value (strings in nested dicts and lists)."""
    if isinstance(value, str):
        return PLACEHOLDER.findall(value)
    if isinstance(value, Mapping):
        return [name for k, v in value.items() for name in placeholders(k) + placeholders(v)]
    if isinstance(value, (list, tuple)):
        return [name for v in value for name in placeholders(v)]
    return []
