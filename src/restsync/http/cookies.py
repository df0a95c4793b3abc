"""Cookies kept as httpx keeps them, but read only from responses that set one.

httpx hands every response to the standard library's cookie jar, which builds urllib stand-ins
for the request and the response (parsing the URL again) and scans the headers, Set-Cookie or
not: per page, that costs about what restsync's own pagination does. APIs that set cookies (a
load balancer's affinity, a session) get them kept and sent back exactly as before.
"""

from __future__ import annotations

import httpx


class SetCookieOnly(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def install(client: httpx.Client) -> bool:
    """Swap `client`'s cookie jar for one that skips responses without Set-Cookie. The jar is not
    public API; if a future httpx moves it, cookies are still handled, only as slowly as before.
    Returns whether it was installed (a test asserts it is, so an upgrade that breaks it is noticed)."""
    jar = getattr(client, "_cookies", None)
    if not isinstance(jar, httpx.Cookies) or not hasattr(httpx.Cookies, "extract_cookies"):
        return False
    client._cookies = SetCookieOnly(jar)  # type: ignore[attr-defined]
    return True
