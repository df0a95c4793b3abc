"""Stripe list API: `limit` (1..100, default 10), `starting_after` = the last object's id,
`{object: list, data, has_more}`; newest first; secret key as basic-auth user with no password."""

from __future__ import annotations

import base64

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, int_param

CUSTOMERS_PATH = "/v1/customers"


def customer_id(item: SampleItem) -> str:
    return f"cus_{item.number:08d}"


class StripeServer(ApiServer):
    def __init__(self, count: int = 1001, *, secret_key: str = "sk_test_123"):
        super().__init__()
        self.items = tuple(reversed(sample_items(count)))  # reverse chronological, as Stripe lists
        self.position = {customer_id(item): index for index, item in enumerate(self.items)}
        self.secret_key = secret_key

    def handle(self, request: RecordedRequest) -> Reply:
        expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
        if request.headers.get("authorization") != expected:
            return json_error(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
        try:
            limit = int_param(request, "limit", 10, 1)
        except BadRequest as exc:
            return self._invalid(str(exc), "limit")
        if limit > 100:
            return self._invalid("This value must be less than or equal to 100.", "limit")
        after = request.param("starting_after")
        start = 0
        if after:
            if after not in self.position:
                return self._invalid(f"No such customer: '{after}'", "starting_after")
            start = self.position[after] + 1
        chunk = self.items[start : start + limit]
        return Reply(json={
            "object": "list",
            "url": CUSTOMERS_PATH,
            "has_more": start + limit < len(self.items),
            "data": [self._customer(item) for item in chunk],
        })

    def _invalid(self, message: str, param: str) -> Reply:
        return json_error(400, {"error": {"type": "invalid_request_error", "message": message, "param": param}})

    def _customer(self, item: SampleItem) -> dict:
        return {
            "id": customer_id(item),
            "object": "customer",
            "name": item.title,
            "description": item.body,
            "email": f"{item.author}@example.com",
            "created": item.epoch,
            "livemode": False,
            "metadata": {"owner": item.author},
        }
