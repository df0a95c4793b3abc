"""Pagination detection: which style a response shows, and with which keys.

The candidate tables below are the single list of shapes restsync knows; the `auto` paginator,
`suggest` and `check` reuse them through `detect()`. Order matters: addressable pages beat sequential ones (they can be
fetched concurrently), explicit links beat tokens, tokens beat totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from restsync.extraction.jsonpath import find_all
from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination.base import as_int, header_totals
from restsync.pagination.links import parse_link_header


@dataclass(frozen=True)
class Detection:
    style: str  # a pagination_type
    params: dict[str, Any] = field(default_factory=dict)  # pagination_config keys for that style
    description: str = ""


@dataclass(frozen=True)
class Candidate:
    path: str  # JSONPath read from the first response body
    param: str | None = None  # for cursors: where the token is sent back
    when: Callable[[Any], bool] | None = None  # extra condition on the whole body


def _has_key(name: str) -> Callable[[Any], bool]:
    return lambda data: isinstance(data, dict) and name in data


def _object_is(kind: str) -> Callable[[Any], bool]:
    return lambda data: isinstance(data, dict) and data.get("object") == kind


# Full URLs of the next page in the body (null on the last page).
NEXT_URL_CANDIDATES: tuple[Candidate, ...] = (
    Candidate("$['@odata.nextLink']"),  # Microsoft Graph / OData
    Candidate("$.nextRecordsUrl"),  # Salesforce (relative)
    Candidate("$.next_page_url"),  # Laravel
    Candidate("$.links.next"),  # JSON:API, Zendesk
    Candidate("$._links.next"),  # Confluence (relative), HAL ({href})
    Candidate("$.paging.next.link"),  # HubSpot
    Candidate("$.meta.next"),
    Candidate("$.next"),  # Django REST framework
)

# Opaque tokens in the body and the parameter that sends them back.
CURSOR_CANDIDATES: tuple[Candidate, ...] = (
    Candidate("$.next_cursor", "start_cursor", _object_is("list")),  # Notion
    Candidate("$.next_cursor", "cursor"),
    Candidate("$.response_metadata.next_cursor", "cursor"),  # Slack
    Candidate("$.nextPageToken", "nextPageToken", _has_key("isLast")),  # Jira search/jql
    Candidate("$.nextPageToken", "pageToken"),  # Google APIs
    Candidate("$.next_page_token", "page_token"),
    Candidate("$.meta.after_cursor", "page[after]"),  # Zendesk
    Candidate("$.paging.next.after", "after"),  # HubSpot
    Candidate("$.offset", "offset"),  # Airtable: a string token named offset
)

HAS_MORE_CANDIDATES: tuple[str, ...] = ("$.has_more", "$.hasMore", "$.meta.has_more")

# Offset echoed back with a total (Jira's older startAt/maxResults/total).
OFFSET_ECHO_CANDIDATES: tuple[Candidate, ...] = (
    Candidate("$.startAt", "startAt"),
    Candidate("$.offset", "offset"),
    Candidate("$.skip", "skip"),
)

TOTAL_PAGES_CANDIDATES: tuple[str, ...] = ("$.total_pages", "$.totalPages", "$.nbPages", "$.pages")
TOTAL_CANDIDATES: tuple[str, ...] = ("$.total", "$.total_count", "$.totalCount", "$.count")
PAGE_ECHO_PATH = "$.page"  # an echoed current page gives the start (Algolia counts from 0)


def detect(response: ApiResponse, items: list) -> Detection:
    """The pagination style the first response shows, with the config keys that reproduce it."""
    data = response.data
    body_request = _sends_json_body(response.request)
    detectors = (
        [_cursor, _wordpress_pages, _link_header, _next_url]
        if body_request
        else [_wordpress_pages, _link_header, _next_url, _cursor]
    )
    for detector in detectors:
        found = detector(response, data, body_request)
        if found is not None:
            return _with_has_more(found, data)
    for detector in (_last_item_cursor, _offset_echo, _totals):
        found = detector(response, data, items)
        if found is not None:
            return found
    return Detection("none", {}, "none (no pagination signal in the first response)")


def find_next_url_path(data: Any) -> str | None:
    """The first known next-URL key present in `data` (for `next_url` without a path)."""
    for candidate in NEXT_URL_CANDIDATES:
        if _url_value(data, candidate.path) is not None:
            return candidate.path
    return None


# -- detectors -----------------------------------------------------------------------------------


def _wordpress_pages(response: ApiResponse, data: Any, body_request: bool) -> Detection | None:
    if header_totals(response.headers)[1] is None:
        return None
    return Detection("page", {"page_param": "page"}, "page with total pages at header X-WP-TotalPages")


def _link_header(response: ApiResponse, data: Any, body_request: bool) -> Detection | None:
    rels = {"next", "prev", "previous", "first", "last"}
    if any(link.rels & rels for link in parse_link_header(response.headers.get_list("link"))):
        return Detection("link_header", {}, "link_header")
    return None


def _next_url(response: ApiResponse, data: Any, body_request: bool) -> Detection | None:
    path = find_next_url_path(data)
    if path is None:
        return None
    return Detection("next_url", {"next_url_path": path}, f"next_url at {path}")


def _cursor(response: ApiResponse, data: Any, body_request: bool) -> Detection | None:
    for candidate in CURSOR_CANDIDATES:
        if candidate.when is not None and not candidate.when(data):
            continue
        values = find_all(data, candidate.path)
        if not values or not (values[0] is None or isinstance(values[0], str)):
            continue
        params: dict[str, Any] = {"cursor_param": candidate.param, "next_cursor_path": candidate.path}
        where = f"param {candidate.param}"
        if body_request:
            params["cursor_in"] = "body"
            where = f"body {candidate.param}"
        return Detection("cursor", params, f"cursor at {candidate.path} -> {where}")
    return None


def _last_item_cursor(response: ApiResponse, data: Any, items: list) -> Detection | None:
    """Stripe: `has_more` plus object ids; the last id goes back as `starting_after`."""
    has_more = _has_more_path(data)
    if has_more is None or not items or not isinstance(items[-1], dict) or "id" not in items[-1]:
        return None
    params = {
        "cursor_from": "last_item",
        "cursor_item_field": "id",
        "cursor_param": "starting_after",
        "has_more_path": has_more,
    }
    return Detection("cursor", params, f"cursor from the last item's id -> param starting_after, until {has_more} is false")


def _offset_echo(response: ApiResponse, data: Any, items: list) -> Detection | None:
    total_path = _first_int_path(data, TOTAL_CANDIDATES)
    for candidate in OFFSET_ECHO_CANDIDATES:
        values = find_all(data, candidate.path)
        if total_path and values and as_int(values[0]) is not None:
            params = {"offset_param": candidate.param, "start_offset": as_int(values[0]), "total_path": total_path}
            return Detection("offset", params, f"offset {candidate.param} with total at {total_path}")
    return None


def _totals(response: ApiResponse, data: Any, items: list) -> Detection | None:
    params: dict[str, Any] = {"page_param": "page"}
    start = as_int(find_all(data, PAGE_ECHO_PATH)[0]) if find_all(data, PAGE_ECHO_PATH) else None
    if start is not None and start in (0, 1):
        params["start_page"] = start
    pages_path = _first_int_path(data, TOTAL_PAGES_CANDIDATES)
    if pages_path:
        return Detection("page", {**params, "total_pages_path": pages_path}, f"page with total pages at {pages_path}")
    total_path = _first_int_path(data, TOTAL_CANDIDATES)
    if total_path:
        return Detection("page", {**params, "total_path": total_path}, f"page with total at {total_path}")
    if response.headers.get("content-range") and header_totals(response.headers)[0] is not None:
        return Detection("offset", {}, "offset with total at header Content-Range")
    for name in ("X-Total-Count", "X-WP-Total"):
        if as_int(response.headers.get(name)) is not None:
            return Detection("page", params, f"page with total at header {name}")
    return None


# -- helpers -------------------------------------------------------------------------------------


def _with_has_more(found: Detection, data: Any) -> Detection:
    has_more = _has_more_path(data)
    if has_more is None or "has_more_path" in found.params:
        return found
    return Detection(found.style, {**found.params, "has_more_path": has_more}, f"{found.description}, until {has_more} is false")


def _has_more_path(data: Any) -> str | None:
    for path in HAS_MORE_CANDIDATES:
        values = find_all(data, path)
        if values and isinstance(values[0], bool):
            return path
    return None


def _first_int_path(data: Any, paths: tuple[str, ...]) -> str | None:
    for path in paths:
        values = find_all(data, path)
        if values and not isinstance(values[0], bool) and as_int(values[0]) is not None:
            return path
    return None


def _url_value(data: Any, path: str) -> str | None:
    """A next-URL-looking value at `path` ("" for a present null), else None."""
    values = find_all(data, path)
    if not values:
        return None
    value = values[0]
    if isinstance(value, dict):
        value = value.get("href")
    if value is None:
        return ""
    if isinstance(value, str) and (value.startswith(("http://", "https://", "/", "?")) or value == ""):
        return value
    return None


def _sends_json_body(request: RequestSpec | None) -> bool:
    return request is not None and request.method.upper() == "POST" and isinstance(request.json, dict)
