"""Slack conversations.history: `limit` (served at most 200) and `cursor`;
`response_metadata.next_cursor` is an empty string on the last page. Newest message first."""

from __future__ import annotations

from .base import ApiServer, RecordedRequest, Reply
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor, int_param

HISTORY_PATH = "/api/conversations.history"
SERVER_CAP = 200


class SlackServer(ApiServer):
    def __init__(self, count: int = 450, *, token: str = "xoxb-test"):
        super().__init__()
        self.items = tuple(reversed(sample_items(count)))
        self.token = token

    def handle(self, request: RecordedRequest) -> Reply:
        # Slack reports errors with HTTP 200 and ok=false.
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(json={"ok": False, "error": "invalid_auth"})
        if request.param("channel") != "C0123456":
            return Reply(json={"ok": False, "error": "channel_not_found"})
        try:
            limit = min(int_param(request, "limit", 100, 1), SERVER_CAP)
            cursor = request.param("cursor")
            start = decode_cursor("slack", cursor) if cursor else 0
        except BadRequest:
            return Reply(json={"ok": False, "error": "invalid_cursor"})
        chunk = self.items[start : start + limit]
        more = start + limit < len(self.items)
        return Reply(json={
            "ok": True,
            "messages": [self._message(item) for item in chunk],
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": encode_cursor("slack", start + limit) if more else ""},
        })

    def _message(self, item: SampleItem) -> dict:
        return {"type": "message", "user": f"U{item.number:06d}", "username": item.author,
                "text": f"{item.title}\n{item.plain_body}", "ts": item.slack_ts}
