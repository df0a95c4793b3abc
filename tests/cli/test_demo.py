"""The demo help-centre API: pagination with totals, the updated_since filter, detail and page routes."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from restsync.demo.server import MAX_PAGE_SIZE, DemoApiServer, load_articles


@pytest.fixture(scope="module")
def api():
    with DemoApiServer() as server:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            yield client


def test_dataset_is_a_help_centre_with_html_bodies_and_metadata():
    articles = load_articles()
    assert 100 <= len(articles) <= 200
    assert len({a["id"] for a in articles}) == len(articles)
    for article in articles:
        assert article["body"].startswith("<h2>") and "</p>" in article["body"]
        assert article["author"]["name"] and article["category"] and article["tags"]
        datetime.fromisoformat(article["updated_at"].replace("Z", "+00:00"))


def test_pages_cover_every_article_once_with_totals(api):
    seen, page, per_page = [], 1, 40
    while True:
        response = api.get("/api/articles", params={"page": page, "per_page": per_page})
        assert response.status_code == 200
        body = response.json()
        assert body["meta"]["total"] == len(load_articles())
        assert int(response.headers["X-Total-Count"]) == len(load_articles())
        seen += [a["id"] for a in body["articles"]]
        if page == body["meta"]["total_pages"]:
            break
        page += 1
    assert seen == [a["id"] for a in load_articles()]
    assert api.get("/api/articles", params={"page": page + 1, "per_page": per_page}).json()["articles"] == []


def test_page_size_is_capped_like_a_real_api(api):
    body = api.get("/api/articles", params={"per_page": 1000}).json()
    assert len(body["articles"]) == MAX_PAGE_SIZE == body["meta"]["per_page"]


def test_updated_since_filters_on_the_server(api):
    since = sorted(a["updated_at"] for a in load_articles())[len(load_articles()) // 2]
    expected = [a["id"] for a in load_articles() if a["updated_at"] >= since]
    body = api.get("/api/articles", params={"updated_since": since, "per_page": 50}).json()
    assert body["meta"]["total"] == len(expected)
    assert [a["id"] for a in body["articles"]] == expected[:50]
    # an offset written as +00:00 arrives as a space when left unencoded; it still parses
    spaced = api.get(f"/api/articles?updated_since={since.replace('Z', '+00:00')}&per_page=50").json()
    assert spaced["meta"]["total"] == len(expected)


def test_links_point_at_served_article_pages(api):
    article = api.get("/api/articles", params={"per_page": 1}).json()["articles"][0]
    page = httpx.get(article["html_url"], timeout=5)
    assert page.status_code == 200 and article["title"] in page.text
    detail = api.get(f"/api/articles/{article['id']}").json()
    assert detail == article


def test_bad_requests_are_json_errors(api):
    assert api.get("/api/articles", params={"page": "x"}).status_code == 400
    assert api.get("/api/articles", params={"page": 0}).status_code == 400
    assert api.get("/api/articles", params={"updated_since": "yesterday"}).status_code == 400
    missing = api.get("/api/articles/999999")
    assert missing.status_code == 404 and "error" in missing.json()
    assert api.get("/nowhere").status_code == 404
