"""A search API that caps how deep one query may page, as Zendesk search (1,000), GitHub search
(1,000), HN Algolia (1,000) and Elasticsearch's `max_result_window` (10,000) do.

GET /api/v2/search?updated_since=T&updated_until=T&page=N&per_page=M, oldest first, `count` in the
body. Both bounds are inclusive (`updated>=` and `updated<=`, as Zendesk's query language and
GitHub's `a..b` ranges are), so an item exactly on a slice's edge is listed by both slices.
Past `cap` results a page is refused with 422 (Zendesk's "Requested response size was greater
than Search Response Limits") or, with `past_cap="empty"`, answered with no results (Algolia).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .base import ApiServer, RecordedRequest, Reply, json_error
from .paging import BadRequest, int_param
from .window import parse_bound

SEARCH_PATH = "/api/v2/search"
CAP = 1000
CAP_MESSAGE = "Requested response size was greater than Search Response Limits"
ORIGIN = datetime(2024, 1, 1, tzinfo=timezone.utc)


def tickets(count: int, *, spacing_s: int = 60, tie_every: int = 7) -> list[dict]:
    """`count` tickets from ORIGIN on, one every `spacing_s` seconds, but every `tie_every`-th shares
    the previous one's second (timestamp ties), and ties land on whole hours and days too."""
    rows, moment = [], ORIGIN
    for number in range(1, count + 1):
        if number % tie_every:
            moment += timedelta(seconds=spacing_s)
        rows.append({"id": number, "subject": f"Ticket {number}", "description": f"Body of ticket {number}",
                     "updated_at": moment.isoformat().replace("+00:00", "Z")})
    return rows


class CappedSearchServer(ApiServer):
    def __init__(self, rows: list[dict], *, cap: int = CAP, past_cap: str = "error", inclusive_end: bool = True):
        super().__init__()
        self.rows = sorted(rows, key=lambda row: row["updated_at"])
        self.cap = cap
        self.past_cap = past_cap
        self.inclusive_end = inclusive_end  # False: `updated<` as Elasticsearch's `lt`
        self.windows: list[tuple[datetime | None, datetime | None]] = []  # each request's bounds
        self.refused = 0
        self.fail_from: datetime | None = None  # windows starting here or later answer 500 (an outage)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path != SEARCH_PATH:
            return json_error(404, {"error": "RecordNotFound"})
        try:
            since = parse_bound(request.param("updated_since")) if request.param("updated_since") else None
            until = parse_bound(request.param("updated_until")) if request.param("updated_until") else None
            page = int_param(request, "page", 1, 1)
            per_page = min(int_param(request, "per_page", 100, 1), 100)
        except (BadRequest, ValueError) as exc:
            return json_error(400, {"error": "InvalidSearch", "description": str(exc)})
        self.windows.append((since, until))
        if self.fail_from is not None and since is not None and since >= self.fail_from:
            return json_error(500, {"error": "InternalError"})
        matching = [row for row in self.rows if _within(row["updated_at"], since, until, self.inclusive_end)]
        if page * per_page > self.cap:
            if self.past_cap == "error":
                self.refused += 1
                return json_error(422, {"error": "invalid", "description": CAP_MESSAGE})
            return Reply(json={"results": [], "count": len(matching), "next_page": None})
        chunk = matching[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(matching)
        return Reply(json={"results": chunk, "count": len(matching), "next_page": page + 1 if more else None})


def _within(text: str, since: datetime | None, until: datetime | None, inclusive_end: bool) -> bool:
    moment = parse_bound(text)
    if until is not None and (moment > until if inclusive_end else moment >= until):
        return False
    return since is None or moment >= since


def search_config(server: CappedSearchServer, **slice_keys) -> dict:
    """The source config the tests walk this server with; keyword arguments are `slice` keys."""
    return {
        "url": server.url(SEARCH_PATH),
        "query_params": {"updated_since": "{poll_start}", "updated_until": "{poll_end}"},
        "items_path": "$.results",
        "id_field": "id",
        "content_fields": ["subject", "description"],
        "poll_timestamp_field": "updated_at",
        "pagination_type": "page",
        "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 100,
                              "total_path": "$.count"},
        "slice": {"start": "2024-01-01T00:00:00Z", "step": "7d", "max_items_per_slice": 1000, **slice_keys},
    }
