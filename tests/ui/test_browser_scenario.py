"""The web UI end to end in Chromium: log in, create a knowledge base, configure a source against a
local API with bearer auth and page pagination, test it (wrong token, then the right one), preview
it with its page inspector, save, watch the sync in flight and to its end, search with a metadata
filter and open the hit's link and its document. A screenshot of each main page is saved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .help_api import HelpCentreApi

pytest.importorskip("playwright")

from playwright.sync_api import Page, expect  # noqa: E402

API_TOKEN = "help-centre-secret-7f3a"
WRONG_TOKEN = "not-the-token"


def follow(page: Page, link, url) -> None:
    """Click a link and wait for the next page's scripts (typing into a page still loading is lost)."""
    link.click()
    page.wait_for_url(url, wait_until="domcontentloaded")


def shot(page: Page, folder: Path, name: str, **options) -> None:
    """Save a screenshot of a main page, after checking it fits 1280 px without scrolling sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name}: {width} px wide at 1280x800"
    page.screenshot(path=str(folder / f"{name}.png"), **options)


def test_configure_sync_and_search_in_the_browser(restsync_server, serve, browser_page: Page, screenshots: Path) -> None:
    page = browser_page
    api = serve(HelpCentreApi(API_TOKEN))
    base = restsync_server.url

    # -- log in: a signed-out visit lands on the login page, the token opens a session ------------
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login?next=%2F")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    token_field = page.get_by_label("API token")
    expect(token_field).to_be_focused()  # keyboard first: the field has focus, Enter submits
    page.keyboard.type(restsync_server.token)
    shot(page, screenshots, "login")
    token_field.press("Enter")
    expect(page).to_have_url(base + "/")
    expect(page.get_by_text("No knowledge bases yet")).to_be_visible()
    page.keyboard.press("Tab")  # keyboard users get past the navigation in one step
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    # -- create a knowledge base ---------------------------------------------------------------------
    page.get_by_role("button", name="New knowledge base").click()
    page.get_by_label("Name").fill("Help centre")
    page.get_by_label("Description").fill("Articles from the help-centre API")
    page.get_by_label("Embedder").select_option("hashing")
    page.get_by_label("Chunk size").fill("120")
    page.get_by_label("Chunk overlap").fill("20")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/kb/[^/]+$"))
    kb_url = page.url
    expect(page.get_by_role("heading", name="Help centre")).to_be_visible()
    expect(page.get_by_text("No data sources")).to_be_visible()

    # -- the source form: auth and pagination fields appear with their type ---------------------------
    follow(page, page.get_by_role("link", name="Add data source"), re.compile(r".*/sources/new$"))
    expect(page.get_by_role("heading", name="New data source")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("help-articles")
    page.get_by_label("Base URL").fill(api.url("/api/articles"))
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    page.get_by_label("Auth type").select_option("bearer")
    page.get_by_label("Token", exact=True).fill(WRONG_TOKEN)
    page.get_by_label("Items path").fill("$.articles")
    page.get_by_label("ID field").fill("id")
    page.get_by_label("Title field").fill("title")
    page.get_by_label("Link field").fill("html_url")
    page.get_by_label("Content fields").fill("title, body")
    page.get_by_label("Metadata fields").fill("category")
    page.get_by_label("Poll timestamp field").fill("updated_at")
    expect(page.get_by_label("Page size", exact=True)).to_be_hidden()
    page.get_by_label("Pagination type").select_option("page")
    page.get_by_label("Page parameter").fill("page")
    page.get_by_label("Page size parameter").fill("per_page")
    page.get_by_label("Page size", exact=True).fill("10")
    page.get_by_label("Total pages path").fill("$.meta.total_pages")
    page.get_by_label("Total count path").fill("$.meta.total")
    expect(page.get_by_label("Cursor parameter")).to_be_hidden()
    page.get_by_label("Refresh interval").fill("0")

    # -- Test connection: the wrong token fails with the reason --------------------------------------
    page.get_by_role("button", name="Test connection").first.click()
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Failed")
    expect(page.get_by_test_id("problems")).to_contain_text("401")
    expect(page.get_by_test_id("check-panel")).to_contain_text("rejected")
    shot(page, screenshots, "test-connection-failed")

    # ... and the right one passes, with the items and fields it found.
    page.get_by_label("Token", exact=True).fill(API_TOKEN)
    page.get_by_role("button", name="Test connection").first.click()
    expect(verdict).to_contain_text("Passed")
    expect(verdict).to_contain_text("10 items on page 1")
    expect(page.get_by_test_id("check-panel")).to_contain_text("html_url")

    # -- Preview: the first documents as stored, and each request and response ------------------------
    page.get_by_role("button", name="Preview").first.click()
    docs = page.get_by_test_id("preview-doc")
    expect(docs).to_have_count(5)
    expect(docs.first).to_contain_text("How to refund an annual plan (1)")
    expect(docs.first).to_contain_text("Billing")
    shot(page, screenshots, "source-form", full_page=True)
    page.get_by_role("tab", name="Page inspector").click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_contain_text("GET " + api.url("/api/articles"))
    expect(inspector).to_contain_text("per_page=10")
    expect(inspector).to_contain_text('"total_pages"')
    assert API_TOKEN not in inspector.inner_text(), "the page inspector shows the secret"
    shot(page, screenshots, "page-inspector")

    # -- Save: the first sync starts; watch it in flight, then to its end ------------------------------
    api.hold(from_page=2)
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_test_id("form-error")).to_be_hidden()
    page.wait_for_url(kb_url, wait_until="domcontentloaded")
    progress = page.get_by_test_id("progress-text")
    expect(progress).to_contain_text("of 30 documents")
    expect(progress).to_contain_text("%")
    shot(page, screenshots, "sync-progress")
    api.release()
    runs = page.get_by_test_id("runs")
    expect(runs.locator("tbody tr")).to_have_count(1)
    expect(runs.locator("tbody tr").first).to_contain_text("success")
    expect(page.get_by_role("heading", name=re.compile(r"Documents \(30\)"))).to_be_visible()

    # An incremental sync from the button runs to its end too.
    page.get_by_role("button", name="Sync now").click()
    expect(runs.locator("tbody tr")).to_have_count(2)
    expect(runs.locator("tbody tr").first).to_contain_text("incremental")
    expect(runs.locator("tbody tr").first).to_contain_text("success")
    shot(page, screenshots, "knowledge-base")

    # A full sync can be cancelled while it runs.
    api.hold(from_page=2)
    page.get_by_role("button", name="Full sync").click()
    expect(progress).to_contain_text("of 30 documents")
    # Released only once the server has taken the cancel: released earlier, the sync may end first.
    with page.expect_response(lambda response: response.url.endswith("/cancel") and response.ok):
        page.get_by_role("button", name="Cancel").click()
    api.release()
    expect(runs.locator("tbody tr")).to_have_count(3)
    expect(runs.locator("tbody tr").first).to_contain_text("cancelled")
    expect(page.get_by_role("heading", name=re.compile(r"Documents \(30\)"))).to_be_visible()

    # The saved source opens in the form with its secret kept on the server, not shown.
    follow(page, page.get_by_role("link", name="help-articles"), re.compile(r".*/sources/[^/]+$"))
    expect(page.get_by_role("heading", name="Edit data source")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("help-articles")
    token = page.get_by_label("Token", exact=True)
    expect(token).to_have_value("")
    expect(token).to_have_attribute("placeholder", re.compile("stored"))
    expect(page.get_by_label("Pagination type")).to_have_value("page")
    page.get_by_role("button", name="Test connection").first.click()
    expect(verdict).to_contain_text("Passed")  # the stored token was used

    # -- search with a metadata filter, open the hit's link and its document ----------------------------
    follow(page, page.get_by_role("link", name="Search", exact=True).first, re.compile(r".*/search$"))
    page.get_by_label("Question").fill("reset two-factor authentication")
    page.get_by_role("button", name="Add filter").click()
    page.get_by_label("Filter 1 field").fill("category")
    page.get_by_label("Filter 1 value").fill("Security")
    page.get_by_role("button", name="Search", exact=True).click()
    hits = page.get_by_test_id("hit")
    expect(hits.first).to_contain_text("How to reset two-factor authentication (2)")
    for index in range(hits.count()):
        expect(hits.nth(index)).to_contain_text("Security")
        expect(hits.nth(index)).not_to_contain_text("Billing")
    expect(hits.first.locator("mark").first).to_be_visible()
    shot(page, screenshots, "search")

    with page.context.expect_page() as opened:
        hits.first.locator("a.hit-link").click()
    article = opened.value
    expect(article.get_by_role("heading", name="How to reset two-factor authentication (2)")).to_be_visible()
    article.close()

    hits.first.get_by_role("link", name="How to reset two-factor authentication (2)").click()
    expect(page.get_by_role("heading", name="How to reset two-factor authentication (2)")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"Chunks"))).to_be_visible()
    expect(page.locator(".doc-text").first).to_contain_text("reset two-factor authentication")
    shot(page, screenshots, "document")

    # -- tokens: create one (shown once), then revoke it ------------------------------------------------
    follow(page, page.get_by_role("link", name="API tokens"), re.compile(r".*/tokens$"))
    page.get_by_label("Name").fill("chat-app")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("rs-")
    row = page.locator("tr", has_text="chat-app")
    expect(row).to_contain_text("active")
    shot(page, screenshots, "tokens", mask=[page.get_by_test_id("new-token")])
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("revoked")

    # -- the knowledge bases page with its counts ------------------------------------------------------
    follow(page, page.get_by_role("link", name="Knowledge bases").first, base + "/")
    card = page.locator(".card", has_text="Help centre")
    expect(card).to_contain_text("30")
    shot(page, screenshots, "knowledge-bases")
