"""Shared by the CLI tests: the demo API, config files derived from its source.yaml, a bearer-only API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from restsync.cli.demo import config_path

TOKEN = "tok-9f8e7d-never-printed"


def demo_config(tmp_path: Path, **overrides) -> Path:
    """The shipped demo source.yaml with some keys replaced, written to tmp_path."""
    raw = yaml.safe_load(config_path().read_text(encoding="utf-8"))
    raw.update(overrides)
    path = tmp_path / "source.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


class BearerOnlyHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, body = 401, {"error": "bad token"}
        else:
            status, body = 200, {"items": [{"id": n, "text": f"note {n}"} for n in range(3)]}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class BearerOnlyServer:
    def __enter__(self) -> "BearerOnlyServer":
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), BearerOnlyHandler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/notes"
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
