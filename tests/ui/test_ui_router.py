"""The UI router alone: every page renders its shell, static files are served and nothing else is."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("jinja2")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from restsync.server.ui import ui_router  # noqa: E402
from restsync.server.ui.router import STATIC_DIR  # noqa: E402

PAGES = {
    "/": "/api/v1/datasets",
    "/login": None,
    "/kb/abc": "/api/v1/datasets/abc",
    "/kb/abc/documents/d1": "/api/v1/datasets/abc/documents/d1",
    "/kb/abc/sources/new": "/api/v1/connectors",
    "/sources/c1": "/api/v1/connectors/c1",
    "/search": "/api/v1/retrieval",
    "/tokens": "/api/v1/tokens",
}


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(ui_router())
    return TestClient(app)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_each_page_renders_and_names_its_json_twin(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    twin = PAGES[path]
    if twin == "/api/v1/retrieval":
        assert "<code>POST /api/v1/retrieval</code>" in response.text  # no link: it is not a GET
    elif twin:
        assert f'href="{twin}"' in response.text
    # Every script and stylesheet the page names is served.
    for asset in re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', response.text):
        assert client.get(asset).status_code == 200, asset


def test_ids_in_pages_are_escaped(client: TestClient) -> None:
    response = client.get('/kb/"><img src=x onerror=alert(1)>')
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_static_files_have_their_types(client: TestClient) -> None:
    js = client.get("/ui/static/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    css = client.get("/ui/static/app.css")
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/ui/static/vendor/alpine-3.17.5.min.js").status_code == 200


@pytest.mark.parametrize("path", ["/ui/static/../router.py", "/ui/static/%2e%2e/router.py",
                                  "/ui/static/..%2Frouter.py", "/ui/static/vendor", "/ui/static/nope.js"])
def test_nothing_outside_static_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_vendored_library_ships_with_its_licence() -> None:
    vendored = sorted(p.name for p in (STATIC_DIR / "vendor").iterdir())
    assert vendored == ["LICENSE-alpinejs.md", "alpine-3.17.5.min.js"]
    assert "MIT License" in (STATIC_DIR / "vendor" / "LICENSE-alpinejs.md").read_text(encoding="utf-8")


def test_signed_out_pages_redirect_to_login_when_the_app_can_tell() -> None:
    app = FastAPI()
    app.include_router(ui_router(is_signed_in=lambda request: "restsync_session" in request.cookies))
    client = TestClient(app, follow_redirects=False)
    response = client.get("/kb/abc?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fkb%2Fabc%3Fx%3D1"
    assert client.get("/login").status_code == 200
    client.cookies.set("restsync_session", "s")
    assert client.get("/kb/abc").status_code == 200
