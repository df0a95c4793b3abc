"""The help-centre API that `tests/data/openapi/helpcentre-loopback.yaml` describes, serving that very
description at `/openapi.yaml`: articles (API key, page/per_page, `meta.total_pages`), events
(OAuth2 client credentials, cursor), and comments, which answers under `data` although the
description says `comments` (a live check must catch it)."""

from __future__ import annotations

import base64
from pathlib import Path

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import sample_items
from .paging import BadRequest, decode_cursor, encode_cursor, int_param

SPEC_FILE = Path(__file__).resolve().parents[1] / "data" / "openapi" / "helpcentre-loopback.yaml"
API_KEY = "hc-key-0123456789"
CLIENT_ID = "hc-client"
CLIENT_SECRET = "hc-client-secret-987"
TOKEN = "hc-access-token-555"
CATEGORIES = ("billing", "security", "getting-started")


class HelpCentreServer(ApiServer):
    def __init__(self, count: int = 57):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        if request.path == "/openapi.yaml":
            return Reply(body=SPEC_FILE.read_bytes(), headers={"Content-Type": "application/yaml"})
        if request.path == "/oauth/token":
            return self._token(request)
        if request.path == "/v1/articles":
            if request.headers.get("x-api-key") != API_KEY:
                return json_error(401, {"error": "missing or wrong X-Api-Key"})
            return self._articles(request)
        if request.path == "/v1/events":
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return json_error(401, {"error": "invalid_token"})
            return self._events(request)
        if request.path == "/v1/comments":
            if request.headers.get("x-api-key") != API_KEY:
                return json_error(401, {"error": "missing or wrong X-Api-Key"})
            return Reply(json={"data": [{"id": n, "text": f"Comment {n}", "created_at": "2024-05-01T00:00:00Z"}
                                        for n in range(1, 4)]})
        return json_error(404, {"error": "not found"})

    def _token(self, request: RecordedRequest) -> Reply:
        form = dict(pair.split("=", 1) for pair in request.raw_body.decode().split("&") if "=" in pair)
        basic = request.headers.get("authorization", "")
        given = (form.get("client_id"), form.get("client_secret"))
        if basic.startswith("Basic "):
            given = tuple(base64.b64decode(basic[6:]).decode().split(":", 1))
        if given != (CLIENT_ID, CLIENT_SECRET) or form.get("grant_type") != "client_credentials":
            return json_error(401, {"error": "invalid_client"})
        return Reply(json={"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})

    def _articles(self, request: RecordedRequest) -> Reply:
        try:
            page = int_param(request, "page", 1, 1)
            per_page = int_param(request, "per_page", 10, 1)
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        if per_page > 50:
            return json_error(400, {"error": "per_page must be at most 50"})
        pages = max(1, -(-len(self.items) // per_page))
        chunk = self.items[(page - 1) * per_page : page * per_page]
        data = [{"id": item.number, "title": item.title, "body": item.body,
                 "category": CATEGORIES[item.number % 3], "status": "published",
                 "author": {"id": 1, "name": item.author}, "tags": [{"name": "faq"}],
                 "created_at": item.iso_z, "updated_at": item.iso_z,
                 "html_url": f"https://help.example.com/articles/{item.number}"} for item in chunk]
        return Reply(json={"data": data, "meta": {"page": page, "total_pages": pages,
                                                  "total_count": len(self.items)}})

    def _events(self, request: RecordedRequest) -> Reply:
        try:
            start = decode_cursor("ev", request.param("cursor")) if request.param("cursor") else 0
            limit = int_param(request, "limit", 10, 1)
        except BadRequest as exc:
            return json_error(400, {"error": str(exc)})
        chunk = self.items[start : start + limit]
        following = start + limit
        return Reply(json={
            "events": [{"uuid": f"00000000-0000-4000-8000-{item.number:012d}", "summary": item.title,
                        "message": item.plain_body, "occurred_at": item.iso_z, "kind": "updated"}
                       for item in chunk],
            "next_cursor": encode_cursor("ev", following) if following < len(self.items) else None,
        })
