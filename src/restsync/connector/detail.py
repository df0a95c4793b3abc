"""List-then-detail APIs: each listed item is replaced by the JSON of its own `detail_url`."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urljoin

from restsync.config import SourceConfig
from restsync.errors import InvalidResponseError
from restsync.extraction.fieldpath import get_field
from restsync.http import HttpClient
from restsync.http.request import RequestSpec

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


class DetailFetcher:
    def __init__(self, config: SourceConfig, client: HttpClient, concurrency: int):
        self._template = config.detail_url or ""
        self._base_url = config.url
        self._id_field = config.id_field or "id"
        self._headers = dict(config.headers)
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="restsync-detail")

    def fetch(self, items: list[dict]) -> list[dict]:
        """Fetch every item's detail concurrently; order is kept."""
        return list(self._pool.map(self._fetch_one, items))

    def url_for(self, item: dict) -> str:
        def value(match: re.Match) -> str:
            name = match.group(1)
            path = self._id_field if name == "id" else name
            found = get_field(item, path)
            if found is None and "_" in name:
                found = get_field(item, name.replace("_", "."))
            if found is None or isinstance(found, (dict, list)):
                # An empty placeholder would request the list URL (or another item) instead.
                raise InvalidResponseError(
                    f"detail_url placeholder {{{name}}} has no value in item "
                    f"{get_field(item, self._id_field)!r} (field {path!r})"
                )
            return quote(str(found), safe="")

        return urljoin(self._base_url, _PLACEHOLDER.sub(value, self._template))

    def _fetch_one(self, item: dict) -> dict:
        request = RequestSpec("GET", self.url_for(item), headers=dict(self._headers))
        response = self._client.send(request)
        detail: Any = response.data
        if not isinstance(detail, dict):
            raise InvalidResponseError("detail_url response is not a JSON object", request=self._client.describe(request))
        return detail

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
