"""Sessions in the browser: a revoked token ends the session, and the page says so by sending the
user to the login page (not by failing in place); logging out ends the session too."""

from __future__ import annotations

import re

import httpx
import pytest

pytest.importorskip("playwright")

from playwright.sync_api import Page, expect  # noqa: E402


def log_in(page: Page, server, token: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(server.url + "/", wait_until="domcontentloaded")
    expect(page.get_by_text("No knowledge bases yet")).to_be_visible()


def test_a_revoked_token_sends_the_page_to_login(restsync_server, browser_page: Page, console_errors) -> None:
    page = browser_page
    admin = {"Authorization": f"Bearer {restsync_server.token}"}
    created = httpx.post(restsync_server.url + "/api/v1/tokens", json={"name": "laptop"}, headers=admin).json()["data"]
    log_in(page, restsync_server, created["token"])
    page.get_by_role("button", name="New knowledge base").click()
    page.get_by_label("Name").fill("Notes")
    assert httpx.delete(f"{restsync_server.url}/api/v1/tokens/{created['id']}", headers=admin).status_code == 200
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    # The refused calls are logged by the browser itself; nothing else may be.
    unexpected = [e for e in console_errors if "status of 403" not in e and "status of 401" not in e]
    console_errors.clear()
    assert not unexpected
    assert httpx.get(restsync_server.url + "/api/v1/datasets", headers=admin).json()["data"] == []


def test_log_out_ends_the_session(restsync_server, browser_page: Page) -> None:
    page = browser_page
    log_in(page, restsync_server, restsync_server.token)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(restsync_server.url + "/login")
    page.goto(restsync_server.url + "/tokens")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Ftokens$"))
