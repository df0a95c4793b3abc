"""`next_url` and `link_header`: the response names the next page's URL; one reference base.

The next request uses that URL as given, its query included: the configured URL's query,
`query_params` and pagination values are not added again (APIs write their next links with the
query they want; adding ours would repeat or contradict it, as a second `$top` or a stale page
would). Only auth query parameters are added, by the auth class, and only on the configured
origin. Relative URLs (Confluence `_links.next`, Salesforce `nextRecordsUrl`, `?page=2`) resolve
by RFC 3986 against the URL of the response that gave them (after redirects): a relative link
with a query replaces the whole query. The same URL twice, or the URL just fetched, means the
API is looping.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from restsync.http.request import ApiResponse, RequestSpec
from restsync.pagination.base import Paginator, check_path, read_path
from restsync.pagination.detect import find_next_url_path
from restsync.pagination.links import find_link


class ReferencePaginator(Paginator):
    def __init__(self, **signals: Any):
        super().__init__(**signals)
        self._next_url: str | None = None
        self._seen: set[str] = set()

    @property
    def next_url(self) -> str | None:
        return self._next_url

    def update_request(self, req: RequestSpec) -> None:
        if self._next_url is not None:
            req.url = self._next_url
            req.params = {}

    def _advance(self, response: ApiResponse, items: list) -> bool:
        reference = self._next_reference(response)
        if not isinstance(reference, str) or not reference.strip():
            return False
        url = urljoin(response.url, reference.strip())
        self._seen.add(response.url)
        if url in self._seen:
            self._flag_loop(f"next URL {url} was already fetched")
            return False
        self._seen.add(url)
        self._next_url = url
        return True

    def _next_reference(self, response: ApiResponse) -> Any:
        raise NotImplementedError

    def _position_state(self) -> dict:
        return {"next_url": self._next_url}

    def _restore_position(self, state: dict) -> None:
        url = state.get("next_url")
        self._next_url = url if isinstance(url, str) and url else None
        self._seen = {self._next_url} if self._next_url else set()


class NextUrlPaginator(ReferencePaginator):
    """`next_url`: the URL at `next_url_path`; a HAL-style `{href: ...}` object is accepted too.
    Without a path, the well-known next-URL keys of `auto` are tried on the first response."""

    style = "next_url"

    def __init__(self, *, next_url_path: str | None = None, **signals: Any):
        super().__init__(**signals)
        self.next_url_path = check_path(next_url_path, "next_url_path")

    def _next_reference(self, response: ApiResponse) -> Any:
        if self.next_url_path is None:
            self.next_url_path = find_next_url_path(response.data)
            if self.next_url_path is None:
                return None
        value = read_path(response.data, self.next_url_path)
        if isinstance(value, dict):
            value = value.get("href")
        return value


class LinkHeaderPaginator(ReferencePaginator):
    """`link_header`: RFC 8288 `Link: <...>; rel="next"`."""

    style = "link_header"

    def _next_reference(self, response: ApiResponse) -> Any:
        return find_link(response.headers.get_list("link"), "next")
