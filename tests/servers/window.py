"""An API with `updated_since` / `updated_until` filters (the `{poll_start}`/`{poll_end}` window),
accepting ISO 8601 or epoch seconds; page-numbered with a `total` in the body. Times are served
with a +02:00 offset so the mapper's UTC conversion is exercised."""

from __future__ import annotations

from datetime import datetime, timezone

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import sample_items
from .paging import BadRequest, int_param

CHANGES_PATH = "/api/changes"


def parse_bound(raw: str) -> datetime:
    if raw.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(raw), tz=timezone.utc)
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {raw!r}")
    return moment


class UpdatedSinceServer(ApiServer):
    def __init__(self, count: int = 120):
        super().__init__()
        self.items = sample_items(count)
        self.bounds: list[tuple[datetime | None, datetime | None]] = []  # parsed window of each request

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            since = parse_bound(request.param("updated_since")) if request.param("updated_since") else None
            until = parse_bound(request.param("updated_until")) if request.param("updated_until") else None
            page = int_param(request, "page", 1, 1)
            per_page = min(int_param(request, "per_page", 25, 1), 100)
        except (BadRequest, ValueError) as exc:
            return json_error(400, {"error": f"bad parameter: {exc}"})
        self.bounds.append((since, until))
        matching = [
            item for item in self.items
            if (since is None or item.updated_at >= since) and (until is None or item.updated_at < until)
        ]
        chunk = matching[(page - 1) * per_page : page * per_page]
        return Reply(json={"total": len(matching), "page": page, "items": [
            {"id": item.number, "title": item.title, "body": item.body, "author": item.author,
             "updated_at": item.iso_offset(2)}
            for item in chunk
        ]})
