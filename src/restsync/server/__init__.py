"""The restsync server: `create_app(settings)` (FastAPI), the JSON API under `/api/v1`, and the web UI.

Needs the `server` extra.
"""

from restsync.server.app import create_app

__all__ = ["create_app"]
