"""A seeded chaos API: one collection served in every pagination style, with faults and shifts drawn
from a seeded generator, so any failing run is replayed exactly from its seed.

The collection is newest first (ids descending), as busy feeds are. Before each answer (but the
first) the server may, per its `Chaos` settings, insert items at the head, delete random items,
swap two neighbours (a reorder), and it may answer with a fault instead of the page: 500/503,
429 with Retry-After in seconds, as an HTTP date, or absent, a GitHub-style 403 rate limit,
a connection reset halfway through the body, or a truncated JSON body. Totals may lie (under- or
over-count). `survivors` is what a complete listing must contain: every item present from the
first request to the last.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable

from servers.base import ApiServer, RecordedRequest, Reply

STYLES = ("page", "offset", "cursor", "next_url", "link_header", "auto")
FAULTS = ("500", "503", "429_seconds", "429_date", "429_absent", "403_rate_limit", "reset", "truncated")


@dataclass(frozen=True)
class Chaos:
    fault_rate: float = 0.15  # share of answers replaced by a fault
    max_faults_in_a_row: int = 3  # below the retry budget: a run can still complete
    insert_rate: float = 0.0  # chance, per answer, of 1-3 new items at the head
    delete_rate: float = 0.0  # chance, per answer, of one random item deleted
    reorder_rate: float = 0.0  # chance, per answer, that two neighbours swap places
    total_lie: int = 0  # stated total = true total + total_lie (negative: under-counts)
    faults: tuple[str, ...] = FAULTS
    # Real time, unlike every other fault: these answers (1-based arrival numbers; all when
    # `stall_always`) come only after `stall_s` seconds, past a short client deadline.
    stall_answers: tuple[int, ...] = ()
    stall_always: bool = False
    stall_s: float = 0.0


def item(number: int) -> dict[str, Any]:
    return {"id": number, "title": f"Item {number}", "body": f"Body of item {number}.",
            "updated_at": 1_700_000_000 + number * 60}


class ChaosApi(ApiServer):
    def __init__(self, count: int, chaos: Chaos, *, seed: int, now: Callable[[], float], per_page: int = 10):
        super().__init__()
        self.items = [item(n) for n in range(count, 0, -1)]
        self.original = {entry["id"] for entry in self.items}
        self.deleted: set[int] = set()
        self.moved: set[int] = set()
        self.fired: list[str] = []
        self._chaos = chaos
        self._rng = random.Random(seed)
        self._now = now
        self._per_page = per_page
        self._next_id = count + 1
        self._answers = 0
        self._faults_in_a_row = 0
        self._state = threading.Lock()

    @property
    def survivors(self) -> set[int]:
        return self.original - self.deleted

    # -- the API -----------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Reply:
        with self._state:
            arrival = len(self.requests)
        if self._chaos.stall_always or arrival in self._chaos.stall_answers:
            self.fired.append("stall")
            threading.Event().wait(self._chaos.stall_s)  # the server is slow: the client's deadline must end it
        with self._state:
            if self._answers:
                self._shift()
            self._answers += 1
            fault = self._draw_fault()
            if fault in ("500", "503", "429_seconds", "429_date", "429_absent", "403_rate_limit"):
                self.fired.append(fault)
                return self._fault_reply(fault)
            reply = self._page(request)
        if fault == "reset":
            self.fired.append(fault)
            body = reply.encoded()
            return Reply(reply.status, body=body, headers=dict(reply.headers), reset_after_bytes=len(body) // 2)
        if fault == "truncated":
            self.fired.append(fault)
            body = reply.encoded()
            return Reply(reply.status, body=body[: max(1, len(body) // 2)], headers=dict(reply.headers))
        return reply

    def _page(self, request: RecordedRequest) -> Reply:
        style = request.path.strip("/")
        size = _int(request.param("limit") or request.param("per_page"), self._per_page, 1, 100)
        if style == "cursor":
            # Keyset cursor (the id of the last item sent): stable under inserts and deletes.
            after = request.param("cursor")
            by_key = sorted(self.items, key=lambda e: -e["id"])  # a keyset API orders by its key
            rest = by_key if not after else [e for e in by_key if e["id"] < _int(after, 0, 0, 10**9)]
            chunk = rest[:size]
            more = len(rest) > size
            return Reply(json={"data": [dict(e) for e in chunk],
                               "next_cursor": str(chunk[-1]["id"]) if more and chunk else None})
        if request.param("page") is not None:
            offset = (_int(request.param("page"), 1, 1, 10**6) - 1) * size
        else:
            offset = _int(request.param("offset"), 0, 0, 10**9)
        chunk = [dict(e) for e in self.items[offset: offset + size]]
        true_total = len(self.items)
        following = offset + size < true_total
        if style in ("page", "offset"):
            return Reply(json={"items": chunk, "total": max(0, true_total + self._chaos.total_lie)})
        next_url = f"/{style}?offset={offset + size}&limit={size}" if following else None
        if style == "next_url":
            return Reply(json={"results": chunk, "next": next_url})
        if style == "link_header":
            headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
            return Reply(json=chunk, headers=headers)
        return Reply(404, json={"error": f"no style {style!r}"})

    # -- chaos -------------------------------------------------------------------------------------

    def _draw_fault(self) -> str | None:
        chaos = self._chaos
        if self._faults_in_a_row >= chaos.max_faults_in_a_row or self._rng.random() >= chaos.fault_rate:
            self._faults_in_a_row = 0
            return None
        self._faults_in_a_row += 1
        return self._rng.choice(chaos.faults)

    def _fault_reply(self, fault: str) -> Reply:
        if fault in ("500", "503"):
            return Reply(int(fault), json={"error": "internal"})
        if fault == "429_seconds":
            return Reply(429, json={"error": "slow down"}, headers={"Retry-After": str(self._rng.randint(1, 20))})
        if fault == "429_date":
            return Reply(429, json={"error": "slow down"},
                         headers={"Retry-After": formatdate(self._now() + self._rng.randint(1, 60), usegmt=True)})
        if fault == "429_absent":
            return Reply(429, json={"error": "slow down"})
        return Reply(403, json={"message": "API rate limit exceeded"},
                     headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(self._now()) + 30)})

    def _shift(self) -> None:
        chaos, rng = self._chaos, self._rng
        if rng.random() < chaos.insert_rate:
            for _ in range(rng.randint(1, 3)):
                self.items.insert(0, item(self._next_id))
                self._next_id += 1
        if rng.random() < chaos.delete_rate and len(self.items) > 1:
            gone = self.items.pop(rng.randrange(len(self.items)))
            self.deleted.add(gone["id"])
        if rng.random() < chaos.reorder_rate and len(self.items) > 1:
            at = rng.randrange(len(self.items) - 1)
            self.items[at], self.items[at + 1] = self.items[at + 1], self.items[at]
            self.moved.update((self.items[at]["id"], self.items[at + 1]["id"]))


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(raw), low), high) if raw not in (None, "") else default
    except ValueError:
        return default


def config_for(style: str, server: ChaosApi, per_page: int = 10) -> dict[str, Any]:
    """The source config a user would write for `style` against this API."""
    base = {"id_field": "id", "title_field": "title", "content_fields": ["title", "body"],
            "poll_timestamp_field": "updated_at", "request_delay": 0}
    if style == "page":
        return {**base, "url": server.url("/page"), "items_path": "$.items", "pagination_type": "page",
                "pagination_config": {"page_param": "page", "page_size_param": "per_page",
                                      "page_size": per_page, "total_path": "$.total"}}
    if style == "offset":
        return {**base, "url": server.url("/offset"), "items_path": "$.items", "pagination_type": "offset",
                "pagination_config": {"offset_param": "offset", "limit_param": "limit", "limit": per_page,
                                      "total_path": "$.total"}}
    if style == "cursor":
        return {**base, "url": server.url("/cursor"), "query_params": {"limit": str(per_page)},
                "items_path": "$.data", "pagination_type": "cursor",
                "pagination_config": {"cursor_param": "cursor", "next_cursor_path": "$.next_cursor"}}
    if style == "next_url":
        return {**base, "url": server.url("/next_url"), "query_params": {"limit": str(per_page)},
                "items_path": "$.results", "pagination_type": "next_url",
                "pagination_config": {"next_url_path": "$.next"}}
    if style == "link_header":
        return {**base, "url": server.url("/link_header"), "query_params": {"limit": str(per_page)},
                "pagination_type": "link_header"}
    if style == "auto":
        return {**base, "url": server.url("/next_url"), "query_params": {"limit": str(per_page)},
                "pagination_type": "auto"}
    raise ValueError(style)
