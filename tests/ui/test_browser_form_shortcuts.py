"""The source form's two shortcuts in Chromium, against a real server: a pasted URL filled in by
`suggest` (the pasted secret goes to its auth field), and a pasted RAGFlow connector config; both
pass Test connection as they come."""

from __future__ import annotations

import json

import httpx
import pytest

from .help_api import HelpCentreApi

pytest.importorskip("playwright")

from playwright.sync_api import Page, expect  # noqa: E402

API_TOKEN = "help-centre-secret-7f3a"


def open_new_source_form(page: Page, server) -> None:
    created = httpx.post(server.url + "/api/v1/datasets", json={"name": "Help", "embedding_model": "hashing"},
                         headers={"Authorization": f"Bearer {server.token}"})
    assert created.status_code == 200, created.text
    dataset_id = created.json()["data"]["id"]
    page.goto(server.url + "/login")
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server.url + "/", wait_until="domcontentloaded")
    page.goto(f"{server.url}/kb/{dataset_id}/sources/new", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="New data source")).to_be_visible()


def test_a_pasted_url_fills_the_form(restsync_server, serve, browser_page: Page) -> None:
    page = browser_page
    api = serve(HelpCentreApi(API_TOKEN))
    open_new_source_form(page, restsync_server)
    page.get_by_role("button", name="Paste a URL → suggest").click()
    page.get_by_label("Endpoint URL").fill(api.url("/api/articles"))
    page.get_by_label("Headers (one per line").fill(f"Authorization: Bearer {API_TOKEN}")
    page.get_by_role("button", name="Suggest a config").click()
    expect(page.get_by_text("The form is filled in")).to_be_visible()
    expect(page.get_by_label("Base URL")).to_have_value(api.url("/api/articles"))
    expect(page.get_by_label("Items path")).to_have_value("$.articles")
    expect(page.get_by_label("Auth type")).to_have_value("bearer")
    expect(page.get_by_label("Token", exact=True)).to_have_value(API_TOKEN)
    expect(page.get_by_label("Title field")).to_have_value("title")
    page.get_by_role("button", name="Test connection").first.click()
    expect(page.get_by_test_id("verdict")).to_contain_text("Passed")


def test_a_pasted_ragflow_config_fills_the_form(restsync_server, serve, browser_page: Page) -> None:
    page = browser_page
    api = serve(HelpCentreApi(API_TOKEN))
    open_new_source_form(page, restsync_server)
    ragflow = {
        "name": "help-from-ragflow", "source": "rest_api", "refresh_freq": 30,
        "config": {
            "url": api.url("/api/articles"), "method": "GET", "auth_type": "bearer",
            "auth_config": {"token": API_TOKEN}, "items_path": "$.articles", "id_field": "id",
            "content_fields": "title,body", "metadata_fields": "category", "poll_timestamp_field": "updated_at",
            "pagination_type": "page",
            "pagination_config": {"page_param": "page", "page_size_param": "per_page", "page_size": 10},
            "query_params": "", "headers": "{}",
        },
    }
    page.get_by_role("button", name="Paste a RAGFlow config").click()
    page.get_by_label("RAGFlow REST API connector config").fill(json.dumps(ragflow))
    page.get_by_role("button", name="Fill the form").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("help-from-ragflow")
    expect(page.get_by_label("Auth type")).to_have_value("bearer")
    expect(page.get_by_label("Token", exact=True)).to_have_value(API_TOKEN)
    expect(page.get_by_label("Pagination type")).to_have_value("page")
    expect(page.get_by_label("Page size", exact=True)).to_have_value("10")
    expect(page.get_by_label("Content fields")).to_have_value("title, body")
    expect(page.get_by_label("Refresh interval")).to_have_value("30")
    page.get_by_role("button", name="Test connection").first.click()
    expect(page.get_by_test_id("verdict")).to_contain_text("Passed")
    expect(page.get_by_test_id("verdict")).to_contain_text("10 items on page 1")
