"""GitHub-like nested collections: an organisation's repositories, and each repository's issues.

GET /orgs/acme/repos?page=N&per_page=M            repositories, Link header pagination
GET /repos/acme/{name}/issues?page=N&per_page=M&since=T   that repository's issues, Link header

Issue numbers restart at 1 in every repository (as on GitHub), so child ids repeat across parents.
`since` keeps issues updated at or after T. A repository listed in `gone` answers 410 ("Issues are
disabled for this repo"); one in `failing` answers 500 every time. Every request is counted while
it is served, so tests can read the most that were ever in flight at once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .paging import BadRequest, int_param
from .window import parse_bound

REPOS_PATH = "/orgs/acme/repos"
ORIGIN = datetime(2024, 3, 1, tzinfo=timezone.utc)


class ReposServer(ApiServer):
    def __init__(self, issues_per_repo: dict[str, int], *, gone: set[str] | None = None,
                 failing: set[str] | None = None):
        super().__init__()
        self.repos = [{"id": 100 + index, "name": name, "full_name": f"acme/{name}", "private": False}
                      for index, name in enumerate(issues_per_repo)]
        self.issues = {name: [self._issue(name, number) for number in range(1, count + 1)]
                       for name, count in issues_per_repo.items()}
        self.gone = set(gone or ())
        self.failing = set(failing or ())
        self._in_flight = 0
        self.max_in_flight = 0
        self._count_lock = threading.Lock()
        # With `gate`, the first child request is held until a second arrives (at most 5 s): proof
        # that child listings overlap, without timing anything.
        self.gate = False
        self.overlapped = False
        self._second = threading.Event()
        self._children_seen = 0

    def handle(self, request: RecordedRequest) -> Reply:
        with self._count_lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return self._answer(request)
        finally:
            with self._count_lock:
                self._in_flight -= 1

    def _answer(self, request: RecordedRequest) -> Reply:
        try:
            page = int_param(request, "page", 1, 1)
            per_page = min(int_param(request, "per_page", 30, 1), 100)
            since = parse_bound(request.param("since")) if request.param("since") else None
        except (BadRequest, ValueError) as exc:
            return json_error(422, {"message": str(exc)})
        if request.path == REPOS_PATH:
            return self._page(request, self.repos, page, per_page)
        parts = request.path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["repos", "acme"] or parts[3] != "issues" or parts[2] not in self.issues:
            return json_error(404, {"message": "Not Found"})
        name = parts[2]
        if self.gate:
            with self._count_lock:
                self._children_seen += 1
                first = self._children_seen == 1
            if first:
                self.overlapped = self._second.wait(5)
            else:
                self._second.set()
        if name in self.gone:
            return json_error(410, {"message": "Issues are disabled for this repo"})
        if name in self.failing:
            return json_error(500, {"message": "Server Error"})
        issues = [issue for issue in self.issues[name]
                  if since is None or parse_bound(issue["updated_at"]) >= since]
        return self._page(request, issues, page, per_page)

    def touch(self, name: str, number: int, moment: datetime, title: str) -> None:
        """An issue edited at `moment`."""
        issue = self.issues[name][number - 1]
        issue["title"] = title
        issue["updated_at"] = moment.isoformat().replace("+00:00", "Z")

    def _page(self, request: RecordedRequest, rows: list[dict], page: int, per_page: int) -> Reply:
        chunk = rows[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(rows):
            query = urlencode({**request.query, "page": str(page + 1)})
            headers["Link"] = f'<{self.base_url}{request.path}?{query}>; rel="next"'
        return Reply(json=chunk, headers=headers)

    @staticmethod
    def _issue(repo: str, number: int) -> dict:
        moment = ORIGIN + timedelta(hours=number)
        return {"id": number, "number": number, "title": f"{repo} issue {number}",
                "body": f"Something about {repo}, number {number}",
                "html_url": f"https://github.example/acme/{repo}/issues/{number}",
                "updated_at": moment.isoformat().replace("+00:00", "Z")}


def issues_config(server: ReposServer, **overrides) -> dict:
    """The source config the tests walk this server with; keyword arguments override keys."""
    raw = {
        "url": server.url("/repos/acme/{parent.name}/issues"),
        "query_params": {"per_page": "10", "since": "{poll_start}"},
        "id_field": "number",
        "title_field": "title",
        "content_fields": ["title", "body"],
        "link_field": "html_url",
        "poll_timestamp_field": "updated_at",
        "pagination_type": "link_header",
        "concurrency": 3,
        "parent": {
            "url": server.url(REPOS_PATH),
            "query_params": {"per_page": "2"},
            "pagination_type": "link_header",
            "fields": ["id", "name", "full_name"],
        },
    }
    raw.update(overrides)
    return raw
