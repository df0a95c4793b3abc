"""Cookies an API sets are kept and sent back, as httpx keeps them; responses that set none never
reach the cookie jar (it costs about as much per page as restsync's own pagination)."""

from __future__ import annotations

import http.cookiejar
import json

import httpx

from restsync.demo.loopback import LoopbackHandler, LoopbackServer
from restsync.http import cookies
from restsync.http.client import HttpClient
from restsync.http.request import RequestSpec


class _Api(LoopbackHandler):
    def do_GET(self) -> None:
        headers = {"Set-Cookie": "affinity=node-2; Path=/"} if self.path == "/login" else {}
        body = {"cookie": self.headers.get("Cookie")}
        self.send_body(200, json.dumps(body).encode(), headers=headers)


def test_a_cookie_the_api_sets_is_sent_back(monkeypatch):
    parsed = []
    original = http.cookiejar.CookieJar.extract_cookies

    def counted(self, response, request):
        parsed.append(request.get_full_url())
        return original(self, response, request)

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counted)
    with LoopbackServer(_Api) as server, HttpClient(allow_private=True) as client:
        def get(path: str) -> dict:
            return client.send(RequestSpec(method="GET", url=server.url + path)).data

        assert [get("/items") for _ in range(3)] == [{"cookie": None}] * 3
        assert parsed == []  # no Set-Cookie: the jar never saw those responses
        assert get("/login") == {"cookie": None}
        assert parsed == [server.url + "/login"]
        assert get("/items") == {"cookie": "affinity=node-2"}


def test_the_jar_is_swapped_under_every_httpx_allowed():
    client = httpx.Client()
    try:
        assert cookies.install(client) is True
        assert isinstance(client.cookies, cookies.SetCookieOnly)
    finally:
        client.close()
