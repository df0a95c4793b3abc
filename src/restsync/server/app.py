"""`create_app(settings)`: the FastAPI application `restsync serve` runs.

The app is a thin shell: routes parse and validate, then call the service layer (the same
library functions the CLI calls) and wrap the result in RAGFlow's envelope. The service's
background work (resumed runs, the scheduler) starts with the app and stops with it.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Sequence

from fastapi import FastAPI

from restsync.server.auth import is_signed_in
from restsync.server.errors import install_error_handlers
from restsync.server.limits import MAX_BODY_BYTES, BodySizeLimit
from restsync.server.routes import auth, connectors, datasets, retrieval, system
from restsync.service import Service, ServiceSettings
from restsync.service.service import version

logger = logging.getLogger("restsync.server")


def create_app(settings: ServiceSettings | None = None, *, service: Service | None = None,
               close_service: bool | None = None, max_body_bytes: int = MAX_BODY_BYTES,
               host: str = "127.0.0.1", port: int | None = None, public_hosts: Sequence[str] = (),
               **service_options: Any) -> FastAPI:
    """The app over `service`, or over a new `Service(settings)`. The app's shutdown closes the
    service when it made it, or when `close_service` says so (`restsync serve`: uvicorn re-raises
    SIGTERM after shutdown, so nothing after `server.run()` can be relied on).
    `host`/`port` (where it is bound) and `public_hosts` (names a proxy reaches it by) are the
    Host headers the MCP endpoint accepts."""
    if service is None and settings is None:
        raise ValueError("create_app needs settings or a service")
    owned = service is None if close_service is None else close_service
    service = service or Service(settings, **service_options)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()  # idempotent: `restsync serve` starts it before registering the demo
        try:
            yield
        finally:
            if owned:
                service.close()  # stops syncs at a page boundary: SIGTERM under uvicorn ends here

    app = FastAPI(title="restsync", version=version(), lifespan=lifespan,
                  description="Any REST API as a searchable knowledge base. RAGFlow-compatible HTTP API; "
                              "see docs/http-api.md.")
    app.state.service = service
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    install_error_handlers(app)
    for module in (system, auth, datasets, connectors, retrieval):
        app.include_router(module.router)
    _include_integrations(app, service, host=host, port=port, public_hosts=public_hosts)
    _include_ui(app)
    return app


def _include_integrations(app: FastAPI, service: Service, *, host: str, port: int | None,
                          public_hosts: Sequence[str]) -> None:
    """Dify's external-knowledge API and the MCP server, when their modules are installed."""
    try:
        from restsync.integrations.dify import dify_router
    except ImportError:
        return
    app.include_router(dify_router(service.backend, service.verify_token), prefix="/api/v1/dify")
    try:
        from restsync.integrations.mcp_server import mount_mcp
    except ImportError:
        logger.warning("MCP endpoint /mcp not served: install the mcp extra (pip install 'restsync[mcp]')")
        return
    mount_mcp(app, service.backend, service.verify_token, path="/mcp", host=host, port=port,
              public_hosts=public_hosts)


def _include_ui(app: FastAPI) -> None:
    try:
        from restsync.server.ui import ui_router
    except ImportError:
        return
    app.include_router(ui_router(is_signed_in=is_signed_in))
