"""The demo API for the CLI tests: one server per module, its URL in RESTSYNC_DEMO_URL (which the
demo's source.yaml reads), and no RESTSYNC_ALLOW_PRIVATE inherited from the environment."""

from __future__ import annotations

import pytest

from restsync.demo.server import DemoApiServer


@pytest.fixture(scope="module")
def demo_url():
    with DemoApiServer() as server:
        yield server.url


@pytest.fixture
def demo_env(demo_url, monkeypatch):
    monkeypatch.setenv("RESTSYNC_DEMO_URL", demo_url)
    monkeypatch.delenv("RESTSYNC_ALLOW_PRIVATE", raising=False)
    return demo_url
