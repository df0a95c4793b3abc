"""GitHub REST issues: `per_page` (max 100, default 30) / `page`, a Link header with next/last,
`X-RateLimit-*` on every response, and optionally one 403 that is a rate limit, not an auth failure."""

from __future__ import annotations

import time
from typing import Callable
from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, int_param

ISSUES_PATH = "/repos/acme/widgets/issues"
RATE_LIMIT = 5000


class GitHubServer(ApiServer):
    def __init__(self, count: int = 237, *, token: str | None = "ghp_testtoken",
                 rate_limit_on: set[int] | None = None, reset_in_s: int = 60,
                 now: Callable[[], float] = time.time):
        super().__init__()
        self.items = sample_items(count)
        self.token = token
        self.rate_limit_on = rate_limit_on or set()  # arrival numbers answered with a rate-limit 403
        self.reset_in_s = reset_in_s
        self.now = now  # the clock X-RateLimit-Reset is computed from (the test's fake clock)
        self._served = 0

    def handle(self, request: RecordedRequest) -> Reply:
        if self.token and request.headers.get("authorization") not in (f"Bearer {self.token}", f"token {self.token}"):
            return json_error(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        number = len(self.requests)
        reset_at = int(self.now()) + self.reset_in_s
        if number in self.rate_limit_on:
            return json_error(403, {"message": "API rate limit exceeded for user ID 1.",
                                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                              self._rate_headers(0, reset_at))
        if request.path != ISSUES_PATH:
            return json_error(404, {"message": "Not Found"})
        try:
            per_page = min(int_param(request, "per_page", 30, 1), 100)
            page = int_param(request, "page", 1, 1)
        except BadRequest as exc:
            return json_error(422, {"message": str(exc)})
        last = max(1, -(-len(self.items) // per_page))
        chunk = self.items[(page - 1) * per_page : page * per_page]
        self._served += 1
        headers = self._rate_headers(RATE_LIMIT - self._served, reset_at)
        links = self._links(request, page, last)
        if links:
            headers["Link"] = links
        return Reply(json=[self._issue(item) for item in chunk], headers=headers)

    def _links(self, request: RecordedRequest, page: int, last: int) -> str:
        def link(target: int, rel: str) -> str:
            query = {**request.query, "page": str(target)}
            return f'<{self.base_url}{ISSUES_PATH}?{urlencode(query)}>; rel="{rel}"'

        parts = []
        if page > 1:
            parts += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            parts += [link(page + 1, "next"), link(last, "last")]
        return ", ".join(parts)

    def _rate_headers(self, remaining: int, reset_at: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Used": str(RATE_LIMIT - max(0, remaining)),
            "X-RateLimit-Reset": str(reset_at),
            "X-RateLimit-Resource": "core",
        }

    def _issue(self, item: SampleItem) -> dict:
        return {
            "id": 1_000_000 + item.number,
            "number": item.number,
            "title": item.title,
            "body": item.body,
            "state": "open" if item.number % 4 else "closed",
            "user": {"login": item.author, "type": "User"},
            "labels": [{"name": "bug"}, {"name": f"area-{item.number % 3}"}],
            "html_url": f"https://github.com/acme/widgets/issues/{item.number}",
            "updated_at": item.iso_z,
        }
