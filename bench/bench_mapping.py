"""Micro-benchmark: items/s through item selection and DocumentMapper for ~1 KB items.

    python bench/bench_mapping.py [--items 20000] [--repeat 5] [--secrets N]

Three shapes: plain text (the common case), HTML bodies (parser on the hot path) and a
content template. Prints the best of `--repeat` runs, as µs of CPU time per item and items/s (CPU time:
the work is single-threaded, and other work on a shared machine disturbs it less than the wall clock).
`--secrets N` gives the mapper N secrets to mask (none occur in the items: the cost of looking).
"""

from __future__ import annotations

import argparse
import json
import time

from restsync.config import SourceConfig
from restsync.extraction import select_items
from restsync.mapping import DocumentMapper

BASE = {
    "url": "https://api.example.com/articles",
    "id_field": "id",
    "content_fields": ["title", "body"],
    "metadata_fields": ["author.name", "tags[*].name", "views", "status"],
    "field_type_hints": {"views": "number"},
    "poll_timestamp_field": "updated_at",
    "link_template": "https://example.com/articles/{id}",
}

SHAPES = {
    "plain": {},
    "html": {},
    "template": {"content_template": "Title: {title}\nBy {author_name}\n{body}"},
}

PARAGRAPH = "Restsync maps each item of a REST API into a document for retrieval. "


def make_item(number: int, html: bool) -> dict:
    body = PARAGRAPH * 11  # ~800 bytes, ~1 KB of JSON per item with the other fields
    if html:
        body = "<div><p>" + body[:400] + "</p><p>" + body[400:] + " <b>bold</b> &amp; more</p></div>"
    return {
        "id": number,
        "title": f"Article number {number}",
        "body": body,
        "author": {"name": f"Author {number % 17}", "id": number % 17},
        "tags": [{"name": "news"}, {"name": f"topic-{number % 5}"}],
        "views": str(number * 3),
        "status": "published",
        "updated_at": f"2024-0{1 + number % 9}-15T10:{number % 60:02d}:00Z",
    }


def run(shape: str, count: int, repeat: int, secrets: list[str]) -> float:
    config = SourceConfig.from_mapping({**BASE, **SHAPES[shape]})
    items = [make_item(number, html=shape == "html") for number in range(count)]
    response = {"total": count, "results": items}
    size = len(json.dumps(items[0]))
    best = float("inf")
    for _ in range(repeat):
        mapper = DocumentMapper(config, "bench", secrets=secrets)
        started = time.process_time()
        documents = mapper.map_many(select_items(response, None).items)
        best = min(best, time.process_time() - started)
        assert len(documents) == count and not mapper.warnings(), mapper.warnings()
    rate = count / best
    print(f"{shape:9s} item {size:5d} B  {best / count * 1e6:6.2f} µs/item  {rate:10,.0f} items/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--secrets", type=int, default=0)
    args = parser.parse_args()
    secrets = [f"sk-live-{number:04d}-Zq8xW2/vT+9" for number in range(args.secrets)]
    for shape in SHAPES:
        run(shape, args.items, args.repeat, secrets)


if __name__ == "__main__":
    main()
