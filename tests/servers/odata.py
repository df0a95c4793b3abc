"""Microsoft Graph / OData: `$top` (server pages at most 100 whatever is asked), `value`,
and `@odata.nextLink` carrying a `$skiptoken`; no nextLink on the last page."""

from __future__ import annotations

from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, decode_cursor, encode_cursor, int_param

MESSAGES_PATH = "/v1.0/me/messages"
SERVER_CAP = 100


class ODataServer(ApiServer):
    def __init__(self, count: int = 237):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            top = min(int_param(request, "$top", 10, 1), SERVER_CAP)
            token = request.param("$skiptoken")
            start = decode_cursor("graph", token) if token else 0
        except BadRequest as exc:
            return json_error(400, {"error": {"code": "BadRequest", "message": str(exc)}})
        chunk = self.items[start : start + top]
        body: dict = {
            "@odata.context": f"{self.base_url}/v1.0/$metadata#users('me')/messages",
            "value": [self._message(item) for item in chunk],
        }
        if start + top < len(self.items):
            query = urlencode({"$top": top, "$skiptoken": encode_cursor("graph", start + top)})
            body["@odata.nextLink"] = f"{self.base_url}{MESSAGES_PATH}?{query}"
        return Reply(json=body)

    def _message(self, item: SampleItem) -> dict:
        return {
            "id": f"AAMkAD{item.number:010d}",
            "subject": item.title,
            "body": {"contentType": "html", "content": f"<html><body>{item.body}</body></html>"},
            "from": {"emailAddress": {"name": item.author, "address": f"{item.author}@contoso.com"}},
            "lastModifiedDateTime": item.odata_time,
            "webLink": f"https://outlook.office365.com/owa/?ItemID={item.number}",
        }
