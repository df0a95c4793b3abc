"""An offline help-centre API serving the shipped article dataset, for the demo and for tests.

Endpoints (JSON unless noted):
  GET /api/articles?page=N&per_page=M&updated_since=ISO   page pagination with totals
  GET /api/articles/<id>                                  one article
  GET /help/articles/<slug>                               the article as an HTML page (its link)
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from functools import lru_cache
from http import HTTPStatus
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from restsync.demo.loopback import LOOPBACK, LoopbackHandler, LoopbackServer

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50  # capped like real APIs, so clients must not stop on a short page


@lru_cache(maxsize=1)
def load_articles() -> tuple[dict[str, Any], ...]:
    """The shipped dataset, oldest id first (deterministic: same content on every machine)."""
    text = resources.files("restsync.demo").joinpath("articles.json").read_text(encoding="utf-8")
    return tuple(json.loads(text))


def _parse_since(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class DemoApiHandler(LoopbackHandler):
    server_version = "restsync-demo/1"

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        segments = [segment for segment in parts.path.split("/") if segment]
        if segments == ["api", "articles"]:
            self._list_articles(query)
        elif len(segments) == 3 and segments[:2] == ["api", "articles"]:
            self._one_article(segments[2])
        elif len(segments) == 3 and segments[:2] == ["help", "articles"]:
            self._article_page(segments[2])
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no route for {parts.path}"})

    def _base_url(self) -> str:
        return f"http://{self.headers.get('Host') or '%s:%d' % self.server.server_address[:2]}"

    def _public(self, article: dict[str, Any]) -> dict[str, Any]:
        shown = {key: value for key, value in article.items() if key != "slug"}
        shown["html_url"] = f"{self._base_url()}/help/articles/{article['slug']}"
        return shown

    def _list_articles(self, query: dict[str, str]) -> None:
        try:
            page = int(query.get("page") or 1)
            per_page = min(int(query.get("per_page") or DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
            since = _parse_since(query["updated_since"]) if query.get("updated_since") else None
        except ValueError as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": f"bad query parameter: {exc}"})
            return
        if page < 1 or per_page < 1:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "page and per_page start at 1"})
            return
        articles = [a for a in load_articles() if since is None or _parse_since(a["updated_at"]) >= since]
        total_pages = max(1, -(-len(articles) // per_page))
        window = articles[(page - 1) * per_page : page * per_page]
        body = {
            "articles": [self._public(article) for article in window],
            "meta": {"page": page, "per_page": per_page, "total": len(articles), "total_pages": total_pages},
        }
        self._send_json(HTTPStatus.OK, body, {"X-Total-Count": str(len(articles))})

    def _find(self, key: str) -> dict[str, Any] | None:
        return next((a for a in load_articles() if str(a["id"]) == key or a["slug"] == key), None)

    def _one_article(self, key: str) -> None:
        article = self._find(key)
        if article is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no article {key}"})
        else:
            self._send_json(HTTPStatus.OK, self._public(article))

    def _article_page(self, slug: str) -> None:
        article = self._find(slug)
        if article is None:
            self.send_body(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")
            return
        page = f"<!doctype html><title>{html.escape(article['title'])}</title><article>{article['body']}</article>"
        self.send_body(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _send_json(self, status: HTTPStatus, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, json.dumps(body).encode("utf-8"), "application/json", headers)


class DemoApiServer(LoopbackServer):
    """The demo API on a background thread; `with DemoApiServer() as server: server.url`."""

    def __init__(self, host: str = LOOPBACK, port: int = 0, *, verbose: bool = False):
        super().__init__(DemoApiHandler, host, port, verbose=verbose, name="restsync-demo-api")
