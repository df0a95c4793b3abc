"""The web UI: server-rendered page shells and their static files.

Pages hold no data of their own. Each one is a Jinja2 shell whose script reads the JSON API
(`/api/v1/...`) with the browser's session cookie, so the UI and the API cannot disagree, and
every page names its JSON twin in its footer. The only front-end library is Alpine.js, shipped
as a pinned file in `static/vendor/` with its licence: nothing is built or downloaded at install
or run time.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
STATIC_PREFIX = "/ui/static"
API_PREFIX = "/api/v1"

# Pages are shells; their data arrives over the API, so a page may be cached by no one.
_NO_STORE = {"Cache-Control": "no-store"}
_PAGE_HEADERS = {
    **_NO_STORE,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def ui_router(*, is_signed_in: Callable[[Request], bool] | None = None, title: str = "restsync") -> APIRouter:
    """The UI's routes, to include at `/`.

    `is_signed_in(request)`, when given, lets a page redirect to the login page before it renders;
    without it a page finds out from its first API call (a 401 sends it to the login page).
    """
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    router = APIRouter(include_in_schema=False)

    def page(request: Request, template: str, *, json_twin: str | None, public: bool = False,
             **context: Any) -> Response:
        if not public and is_signed_in is not None and not is_signed_in(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        html = env.get_template(template).render(
            title=title, static=STATIC_PREFIX, api=API_PREFIX, json_twin=json_twin,
            path=request.url.path, **{"json_twin_method": None, **context})
        return HTMLResponse(html, headers=_PAGE_HEADERS)

    @router.get("/", response_class=HTMLResponse)
    def knowledge_bases(request: Request) -> Response:
        return page(request, "knowledge_bases.html", json_twin=f"{API_PREFIX}/datasets", nav="kbs")

    @router.get("/login", response_class=HTMLResponse)
    def login(request: Request) -> Response:
        return page(request, "login.html", json_twin=None, public=True, nav="login")

    @router.get("/kb/{dataset_id}", response_class=HTMLResponse)
    def knowledge_base(request: Request, dataset_id: str) -> Response:
        return page(request, "knowledge_base.html", json_twin=f"{API_PREFIX}/datasets/{quote(dataset_id)}",
                    nav="kbs", dataset_id=dataset_id)

    @router.get("/kb/{dataset_id}/documents/{document_id}", response_class=HTMLResponse)
    def document(request: Request, dataset_id: str, document_id: str) -> Response:
        twin = f"{API_PREFIX}/datasets/{quote(dataset_id)}/documents/{quote(document_id, safe='')}"
        return page(request, "document.html", json_twin=twin, nav="kbs", dataset_id=dataset_id,
                    document_id=document_id)

    @router.get("/kb/{dataset_id}/sources/new", response_class=HTMLResponse)
    def new_source(request: Request, dataset_id: str) -> Response:
        return page(request, "source_form.html", json_twin=f"{API_PREFIX}/connectors", nav="kbs",
                    dataset_id=dataset_id, connector_id="")

    @router.get("/sources/{connector_id}", response_class=HTMLResponse)
    def edit_source(request: Request, connector_id: str) -> Response:
        return page(request, "source_form.html", json_twin=f"{API_PREFIX}/connectors/{quote(connector_id)}",
                    nav="kbs", dataset_id="", connector_id=connector_id)

    @router.get("/search", response_class=HTMLResponse)
    def search(request: Request) -> Response:
        return page(request, "search.html", json_twin=f"{API_PREFIX}/retrieval", json_twin_method="POST",
                    nav="search")

    @router.get("/tokens", response_class=HTMLResponse)
    def tokens(request: Request) -> Response:
        return page(request, "tokens.html", json_twin=f"{API_PREFIX}/tokens", nav="tokens")

    @router.get(STATIC_PREFIX + "/{file_path:path}")
    def static(file_path: str) -> Response:
        return FileResponse(_static_file(file_path), media_type=_media_type(file_path),
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    return router


def _static_file(file_path: str) -> Path:
    """The file under static/ that the path names; 404 for anything else (`..`, folders, links out)."""
    root = STATIC_DIR.resolve()
    try:
        candidate = (root / file_path).resolve()
    except (ValueError, OSError):  # an embedded NUL (`app.css%00.js`), a name too long: no such file
        raise HTTPException(status_code=404, detail="no such static file") from None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {file_path!r}")
    return candidate


def _media_type(file_path: str) -> str:
    if file_path.endswith(".js"):
        return "text/javascript; charset=utf-8"
    if file_path.endswith(".css"):
        return "text/css; charset=utf-8"
    if file_path.endswith(".md"):
        return "text/plain; charset=utf-8"
    return mimetypes.guess_type(file_path)[0] or "application/octet-stream"
