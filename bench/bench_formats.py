"""Decoding speed of one page in each response format: JSON, JSON Lines, RSS and Atom (XML).

    .venv/bin/python bench/bench_formats.py [--items 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from xml.sax.saxutils import escape

from restsync.http.formats import decode_body

BODY = "<p>Paragraph of an article body with <b>some</b> markup and enough words to be realistic.</p>" * 8


def items(count: int) -> list[dict]:
    return [{"id": n, "title": f"Item {n}", "body": BODY, "author": {"name": f"a{n % 7}"},
             "updated_at": "2024-01-01T00:00:00Z", "link": f"https://example.com/{n}"} for n in range(count)]


def pages(count: int) -> dict[str, tuple[bytes, str]]:
    rows = items(count)
    rss = "".join(f"<item><title>{r['title']}</title><link>{r['link']}</link><guid>{r['id']}</guid>"
                  f"<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate><dc:creator>{r['author']['name']}</dc:creator>"
                  f"<content:encoded><![CDATA[{r['body']}]]></content:encoded></item>" for r in rows)
    atom = "".join(f"<entry><id>{r['id']}</id><title type=\"text\">{r['title']}</title><updated>{r['updated_at']}"
                   f"</updated><link rel=\"alternate\" href=\"{r['link']}\"/><author><name>{r['author']['name']}"
                   f"</name></author><content type=\"html\">{escape(r['body'])}</content></entry>" for r in rows)
    return {
        "json": (json.dumps({"items": rows}).encode(), "application/json"),
        "jsonl": ("".join(json.dumps(r) + "\n" for r in rows).encode(), "application/x-ndjson"),
        "rss": (('<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                 'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
                 f"{rss}</channel></rss>").encode(), "application/rss+xml"),
        "atom": (f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{atom}</feed>'.encode(),
                 "application/atom+xml"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for name, (body, content_type) in pages(args.items).items():
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            decode_body(body, content_type)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        print(f"{name:>5}: {len(body) / 1e6:.2f} MB, {args.items} items | {median * 1000:.1f} ms | "
              f"{args.items / median:,.0f} items/s | {len(body) / median / 1e6:.0f} MB/s")


if __name__ == "__main__":
    main()
