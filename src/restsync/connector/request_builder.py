"""The first request of a walk, built from the config: URL placeholders, query, body and window."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import quote

from restsync.config import SourceConfig
from restsync.connector.window import POLL_PLACEHOLDERS, TimeWindow, fill_placeholders
from restsync.http.request import RequestSpec
from restsync.timestamps import EPOCH, format_time

_URL_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def build_base_request(config: SourceConfig, window: TimeWindow, now: datetime | None = None) -> RequestSpec:
    """`{name}` in the URL is filled from query_params (and removed from the query, as RAGFlow does);
    `{poll_start}`/`{poll_end}` anywhere are filled with the window (open ends: the epoch and now)."""
    params = dict(config.query_params)
    url = config.url
    for name in _URL_NAME.findall(url):
        if name in params and f"{{{name}}}" not in POLL_PLACEHOLDERS:
            url = url.replace(f"{{{name}}}", quote(str(params.pop(name)), safe=""))

    start = window.start or EPOCH
    end = window.end or now or datetime.now(timezone.utc)
    replacements = {
        "{poll_start}": format_time(start, config.poll_time_format),
        "{poll_end}": format_time(end, config.poll_time_format),
    }
    url_replacements = {k: quote(v, safe=":") for k, v in replacements.items()}
    body = config.request_body if config.method == "POST" else None
    return RequestSpec(
        method=config.method,
        url=fill_placeholders(url, url_replacements),
        params={k: fill_placeholders(v, replacements) for k, v in params.items()},
        headers=dict(config.headers),
        json=fill_placeholders(body, replacements) if body is not None else None,
    )
