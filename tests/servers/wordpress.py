"""WordPress REST posts: `page` / `per_page` (1..100), a bare JSON array, totals in `X-WP-Total` /
`X-WP-TotalPages` and a Link header; a page past the end is a 400, as WordPress answers."""

from __future__ import annotations

from urllib.parse import urlencode

from .base import ApiServer, RecordedRequest, Reply, json_error
from .dataset import SampleItem, sample_items
from .paging import BadRequest, int_param

POSTS_PATH = "/wp-json/wp/v2/posts"


class WordPressServer(ApiServer):
    def __init__(self, count: int = 237):
        super().__init__()
        self.items = sample_items(count)

    def handle(self, request: RecordedRequest) -> Reply:
        try:
            per_page = int_param(request, "per_page", 10, 1)
            page = int_param(request, "page", 1, 1)
        except BadRequest as exc:
            return json_error(400, {"code": "rest_invalid_param", "message": str(exc), "data": {"status": 400}})
        if per_page > 100:
            return json_error(400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                                    "data": {"status": 400}})
        pages = max(1, -(-len(self.items) // per_page))
        if page > pages:
            return json_error(400, {"code": "rest_post_invalid_page_number",
                                    "message": "The page number requested is larger than the number of pages available.",
                                    "data": {"status": 400}})
        chunk = self.items[(page - 1) * per_page : page * per_page]
        headers = {"X-WP-Total": str(len(self.items)), "X-WP-TotalPages": str(pages)}
        links = []
        if page > 1:
            links.append(f'<{self._page_url(request, page - 1)}>; rel="prev"')
        if page < pages:
            links.append(f'<{self._page_url(request, page + 1)}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(json=[self._post(item) for item in chunk], headers=headers)

    def _page_url(self, request: RecordedRequest, page: int) -> str:
        return f"{self.base_url}{POSTS_PATH}?{urlencode({**request.query, 'page': page})}"

    def _post(self, item: SampleItem) -> dict:
        return {
            "id": 700 + item.number,
            "date_gmt": item.naive_iso,
            "modified_gmt": item.naive_iso,
            "slug": f"item-{item.number}",
            "link": f"https://blog.example.com/item-{item.number}/",
            "title": {"rendered": item.title},
            "content": {"rendered": item.body, "protected": False},
            "author": 1 + item.number % 5,
        }
