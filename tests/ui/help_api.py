"""A small help-centre API for the browser tests: bearer auth, page pagination with totals, and an
HTML page per article (each article's link), so a search hit's link opens for real.

Pages from `hold_from_page` on wait until `release()` (on the server's own threads, bounded), so a
test can watch a sync in flight without sleeping.
"""

from __future__ import annotations

import html
import threading

from servers.base import ApiServer, RecordedRequest, Reply, json_error
from servers.paging import BadRequest, int_param

CATEGORIES = ("Billing", "Security", "Accounts")
TOPICS = ("refund an annual plan", "reset two-factor authentication", "export invoices", "rotate API keys",
          "invite a teammate", "change the billing address", "close an account", "review audit logs",
          "set up single sign-on", "download receipts")


def make_articles(count: int = 30) -> list[dict]:
    articles = []
    for number in range(1, count + 1):
        topic = TOPICS[(number - 1) % len(TOPICS)]
        category = CATEGORIES[(number - 1) % len(CATEGORIES)]
        articles.append({
            "id": number,
            "title": f"How to {topic} ({number})",
            "body": f"<p>This guide explains how to {topic}. Open <b>Settings</b>, pick {category.lower()} "
                    f"and follow the steps. Article {number} of the {category} collection.</p>",
            "category": category,
            "updated_at": f"2025-01-{number:02d}T10:00:00Z",
        })
    return articles


class HelpCentreApi(ApiServer):
    def __init__(self, token: str, *, articles: list[dict] | None = None, max_per_page: int = 10) -> None:
        super().__init__()
        self.token = token
        self.articles = articles if articles is not None else make_articles()
        self.max_per_page = max_per_page
        self.hold_from_page: int | None = None
        self._released = threading.Event()
        self.held = threading.Event()  # set once a held page is waiting
        # page number -> seconds: that page answers 429 with Retry-After once
        self.rate_limit_once: dict[int, int] = {}

    def hold(self, from_page: int) -> None:
        self.hold_from_page = from_page
        self._released.clear()
        self.held.clear()

    def release(self) -> None:
        self._released.set()

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path.startswith("/articles/"):
            return self._page(request.path.rsplit("/", 1)[-1])
        if request.path != "/api/articles":
            return json_error(404, {"error": f"no route {request.path}"})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return json_error(401, {"error": "invalid or missing bearer token"})
        try:
            page = int_param(request, "page", 1, minimum=1)
            per_page = min(int_param(request, "per_page", 5, minimum=1), self.max_per_page)
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        retry_after = self.rate_limit_once.pop(page, None)
        if retry_after is not None:
            return json_error(429, {"error": "slow down"}, {"Retry-After": str(retry_after)})
        if self.hold_from_page is not None and page >= self.hold_from_page:
            self.held.set()
            self._released.wait(timeout=30)  # bounded: a failed test never hangs the server
        total_pages = max(1, -(-len(self.articles) // per_page))
        window = self.articles[(page - 1) * per_page: page * per_page]
        items = [{**article, "html_url": self.url(f"/articles/{article['id']}")} for article in window]
        return Reply(json={"articles": items,
                           "meta": {"page": page, "per_page": per_page, "total": len(self.articles),
                                    "total_pages": total_pages}})

    def _page(self, key: str) -> Reply:
        article = next((a for a in self.articles if str(a["id"]) == key), None)
        if article is None:
            return Reply(status=404, body=b"not found", headers={"Content-Type": "text/plain"})
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(article['title'])}</title>"
                f"<link rel='icon' href='data:,'></head><body><h1>{html.escape(article['title'])}</h1>"
                f"{article['body']}</body></html>")
        return Reply(body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
