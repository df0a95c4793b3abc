"""`restsync serve --demo`: the offline demo API registered as a source of a `demo` knowledge base,
its first sync started, and a login token for this start."""

from __future__ import annotations

from typing import Any

import yaml

from restsync.cli.demo import config_path

DEMO_NAME = "demo"
DEMO_TOKEN_NAME = "demo login"


def demo_config(api_url: str) -> dict[str, Any]:
    raw = yaml.safe_load(config_path().read_text(encoding="utf-8"))
    raw["url"] = raw["url"].replace("${RESTSYNC_DEMO_URL}", api_url)
    return raw


def register_demo(service: Any, api_url: str, *, embedder: str | None = None) -> str:
    """Create (or point at this start's demo API) the demo dataset and connector, start a sync, and
    return a fresh login token (the previous demo token is revoked: only the hash was kept)."""
    dataset = service.datasets.find_by_name(DEMO_NAME)
    dataset_id = dataset.id if dataset else service.create_dataset(
        name=DEMO_NAME, description="The offline demo help centre (150 articles)", embedding_model=embedder)["id"]
    connector = service.connectors.find_by_name(DEMO_NAME)
    config = demo_config(api_url)
    if connector is None:
        service.create_connector({"name": DEMO_NAME, "source": "rest_api", "config": config,
                                  "refresh_freq": 60, "dataset_id": dataset_id})
    else:
        # The demo API listens on a new port each start: point the source at it, then sync.
        service.connectors.update(connector.id, {"config": config})
        if connector.dataset_id is None:
            service.link_connector(connector.id, dataset_id)
        elif service.syncs.active_run_id(connector.id) is None:
            service.syncs.start(connector.id, trigger="manual")
    for info in service.tokens.list():
        if info.name == DEMO_TOKEN_NAME and info.revoked_at is None:
            service.tokens.revoke(info.id)
    _, token = service.tokens.create(DEMO_TOKEN_NAME)
    return token
