"""The web UI served at `/`: page shells over the JSON API (see `router.py`)."""

from restsync.server.ui.router import ui_router

__all__ = ["ui_router"]
