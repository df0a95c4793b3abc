"""The floor any client of bench/apiserver.py pays: httpx, the fastest JSON parser installed, and
each item's id written to a file; nothing mapped. Run as its own process, like `restsync fetch`.

    python bench/bare_loop.py URL STYLE OUT      # STYLE: page, offset or cursor (100 items a request)
"""

from __future__ import annotations

import sys

import httpx

try:  # the fastest parser available; the floor is only meaningful with it
    from msgspec.json import decode as loads
except ImportError:  # pragma: no cover - without the fast extra
    from json import loads


def walk(base: str, style: str, out) -> int:
    count = 0
    with httpx.Client() as client:
        position: int | str | None = 1 if style == "page" else 0
        while position is not None:
            if style == "page":
                url = f"{base}/page?per_page=100&page={position}"
            elif style == "offset":
                url = f"{base}/offset?limit=100&offset={position}"
            else:
                url = f"{base}/cursor?limit=100&cursor={position}"
            body = loads(client.get(url).content)
            items = body["items"]
            out.write("".join(f"{item['id']}\n" for item in items))
            count += len(items)
            if style == "cursor":
                position = body.get("next_cursor")
            elif not items:
                position = None
            else:
                position = position + 1 if style == "page" else position + len(items)
    return count


if __name__ == "__main__":
    url, style, path = sys.argv[1:4]
    with open(path, "w") as handle:
        print(walk(url, style, handle))
