"""Sources that do not speak JSON: an RSS 2.0 feed (`?paged=N`, an empty channel past the end),
an Atom feed paged by `<link rel="next">` (RFC 5005), and a JSON Lines export API (`page`/`per_page`,
an empty body past the end)."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from .base import ApiServer, RecordedRequest, Reply
from .dataset import SampleItem, sample_items
from .paging import BadRequest, int_param

RSS_PATH = "/feed/"
ATOM_PATH = "/releases.atom"
JSONL_PATH = "/export/articles"


def _xml(body: str, content_type: str) -> Reply:
    return Reply(body=body.encode("utf-8"), headers={"Content-Type": content_type})


class RssServer(ApiServer):
    """Ten items per page; item 1 has a single category (must still be a list)."""

    def __init__(self, count: int = 23, content_type: str = "application/rss+xml; charset=UTF-8"):
        super().__init__()
        self.items = sample_items(count)
        self.content_type = content_type
        self.per_page = 10

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            page = int_param(request, "paged", 1, 1)
        except BadRequest:
            return Reply(status=400, body=b"bad page")
        chunk = self.items[(page - 1) * self.per_page : page * self.per_page]
        entries = "".join(self._item(item) for item in chunk)
        return _xml(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"<channel><title>Example blog</title><link>https://blog.example.com</link>{entries}</channel></rss>",
            self.content_type)

    @staticmethod
    def _item(item: SampleItem) -> str:
        categories = "<category>news</category>" + ("" if item.number == 1 else f"<category>{item.author}</category>")
        return (f"<item><title>{escape(item.title)}</title>"
                f"<link>https://blog.example.com/p/{item.number}</link>"
                f'<guid isPermaLink="false">post-{item.number}</guid>'
                f"<pubDate>{item.rfc2822}</pubDate><dc:creator>{item.author}</dc:creator>{categories}"
                f"<description>{escape(item.plain_body[:20])}</description>"
                f"<content:encoded><![CDATA[{item.body}]]></content:encoded></item>")


class AtomServer(ApiServer):
    """Eight entries per page; `<link rel="next">` until the last page (RFC 5005 paged feeds)."""

    def __init__(self, count: int = 19):
        super().__init__()
        self.items = sample_items(count)
        self.per_page = 8

    def handle(self, request: RecordedRequest) -> Reply:
        page = int(request.param("page", "1") or 1)
        chunk = self.items[(page - 1) * self.per_page : page * self.per_page]
        links = f'<link rel="self" href="{self.url(ATOM_PATH)}?page={page}"/>'
        if page * self.per_page < len(self.items):
            links += f'<link rel="next" href="{ATOM_PATH}?page={page + 1}"/>'
        entries = "".join(self._entry(item) for item in chunk)
        return _xml(f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                    f"<title>Releases</title><id>urn:example:releases</id>{links}{entries}</feed>",
                    "application/atom+xml")

    @staticmethod
    def _entry(item: SampleItem) -> str:
        return (f"<entry><id>tag:example.com,2024:release/{item.number}</id>"
                f'<title type="text">{escape(item.title)}</title><updated>{item.iso_z}</updated>'
                f'<link rel="alternate" type="text/html" href="https://example.com/releases/{item.number}"/>'
                f"<author><name>{item.author}</name></author>"
                f'<content type="html">{escape(item.body)}</content></entry>')


class JsonLinesServer(ApiServer):
    """One article per line; a page past the end is an empty body."""

    def __init__(self, count: int = 45, content_type: str = "application/x-ndjson"):
        super().__init__()
        self.items = sample_items(count)
        self.content_type = content_type

    def handle(self, request: RecordedRequest) -> Reply:
        page = int(request.param("page", "1") or 1)
        per_page = int(request.param("per_page", "20") or 20)
        chunk = self.items[(page - 1) * per_page : page * per_page]
        lines = "".join(json.dumps({"id": item.number, "title": item.title, "body": item.body,
                                    "author": {"name": item.author}, "updated_at": item.iso_z}) + "\n"
                        for item in chunk)
        return Reply(body=lines.encode("utf-8"), headers={"Content-Type": self.content_type})


class BodyServer(ApiServer):
    """Answers every request with one fixed body and Content-Type."""

    def __init__(self, body: bytes, content_type: str):
        super().__init__()
        self.body = body
        self.content_type = content_type

    def handle(self, request: RecordedRequest) -> Reply:
        return Reply(body=self.body, headers={"Content-Type": self.content_type})
