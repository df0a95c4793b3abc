"""Live progress in the browser while the API makes the sync wait: the rate-limit wait is shown
while it lasts, then the run reaches its end."""

from __future__ import annotations

import re

import httpx
import pytest

from .help_api import HelpCentreApi

pytest.importorskip("playwright")

from playwright.sync_api import Page, expect  # noqa: E402

API_TOKEN = "help-centre-secret-7f3a"


def test_a_rate_limit_wait_shows_in_the_progress(restsync_server, serve, browser_page: Page) -> None:
    page = browser_page
    api = serve(HelpCentreApi(API_TOKEN))
    admin = {"Authorization": f"Bearer {restsync_server.token}"}
    dataset = httpx.post(restsync_server.url + "/api/v1/datasets", headers=admin,
                         json={"name": "Help", "embedding_model": "hashing"}).json()["data"]
    page.goto(restsync_server.url + "/login")
    page.get_by_label("API token").fill(restsync_server.token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(restsync_server.url + "/", wait_until="domcontentloaded")

    api.rate_limit_once[2] = 3  # page 2 answers 429, Retry-After: 3 s
    linked = httpx.post(restsync_server.url + "/api/v1/connectors", headers=admin, json={
        "name": "help", "source": "rest_api", "dataset_id": dataset["id"], "config": {
            "url": api.url("/api/articles"), "auth_type": "bearer", "credentials": {"token": API_TOKEN},
            "items_path": "$.articles", "id_field": "id", "title_field": "title", "content_fields": ["body"],
            "pagination_type": "page", "concurrency": 1,
            "pagination_config": {"page_size": 10, "page_size_param": "per_page", "total_path": "$.meta.total"}},
    })
    assert linked.status_code == 200, linked.text  # linked to the dataset: its first sync starts
    page.goto(f"{restsync_server.url}/kb/{dataset['id']}")
    expect(page.locator(".live")).to_contain_text(re.compile("rate limited", re.I))
    runs = page.get_by_test_id("runs")
    expect(runs.locator("tbody tr").first).to_contain_text("success", timeout=20_000)
    expect(page.get_by_role("heading", name=re.compile(r"Documents \(30\)"))).to_be_visible()
