"""Shared by the CLI tests: the demo API, config files derived from its source.yaml, a bearer-only API."""

from __future__ import annotations

from pathlib import Path

import yaml

from restsync.cli.demo import config_path

from .base import ApiServer, RecordedRequest, Reply

TOKEN = "tok-9f8e7d-never-printed"


def demo_config(tmp_path: Path, **overrides) -> Path:
    """The shipped demo source.yaml with some keys replaced, written to tmp_path."""
    raw = yaml.safe_load(config_path().read_text(encoding="utf-8"))
    raw.update(overrides)
    path = tmp_path / "source.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


class BearerOnlyServer(ApiServer):
    """Three notes at any path, for the right bearer token only (401 otherwise)."""

    def handle(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"error": "bad token"})
        return Reply(200, {"items": [{"id": n, "text": f"note {n}"} for n in range(3)]})
