"""Browser-test fixtures: Debian's Chromium driven by Playwright, and a real restsync server.

The server is `create_app` under restsync's loopback ASGI harness (`serve_asgi`: uvicorn in a
thread on a socket already listening, so the first request waits in the backlog and nothing polls).
Its data dir is a tmp dir, datasets use the `hashing` embedder, and private addresses are allowed
so sources can point at the loopback test APIs.

Screenshots go to $RESTSYNC_SCREENSHOTS when set (`docs/ui/` is made that way), else to the
test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("RESTSYNC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class RunningServer:
    url: str
    token: str
    service: object


@contextmanager
def uvicorn_serving(app) -> Iterator[str]:
    """Serve `app` on a loopback port; yields its base URL."""
    pytest.importorskip("uvicorn")
    from restsync.demo.loopback import serve_asgi

    with serve_asgi(lambda _port: app) as url:
        yield url


@pytest.fixture
def restsync_server(tmp_path: Path) -> Iterator[RunningServer]:
    pytest.importorskip("fastapi")
    from restsync.server.app import create_app
    from restsync.service import ServiceSettings

    app = create_app(ServiceSettings(data_dir=tmp_path / "data", allow_private=True))
    service = app.state.service
    _, token = service.tokens.create("admin")
    with uvicorn_serving(app) as url:
        yield RunningServer(url, token, service)


@pytest.fixture
def ui_only_server() -> Iterator[str]:
    """The UI router alone (no API): for checks of the pages' own scripts."""
    fastapi = pytest.importorskip("fastapi")
    from restsync.server.ui import ui_router

    app = fastapi.FastAPI()
    app.include_router(ui_router())
    with uvicorn_serving(app) as url:
        yield url


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("RESTSYNC_SCREENSHOTS") or tmp_path / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and page exceptions seen so far; a test that provokes one on purpose removes it."""
    return []


@pytest.fixture
def browser_page(tmp_path: Path, console_errors: list[str]):
    """A fresh Chromium page at 1280x800; the test fails on any console error or page exception."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package (scripts/test.sh does as root)")
    profile = tmp_path / "chromium-profile"
    errors = console_errors
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)
        context.set_default_timeout(15_000)

        def watch(page) -> None:
            page.on("console", lambda message: errors.append(f"console.{message.type}: {message.text} "
                                                             f"({page.url})") if message.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc} ({page.url})"))

        context.on("page", watch)
        page = context.pages[0] if context.pages else context.new_page()
        watch(page)
        try:
            yield page
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    assert not errors, "browser console errors:\n" + "\n".join(errors)
