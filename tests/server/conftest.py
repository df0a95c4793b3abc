"""Server test fixtures: a service or app on a temporary data directory (hashing embedder, no
scheduler thread, loopback allowed for the local test APIs), an admin token, a live uvicorn
server on loopback, and a helper that waits for a connector's sync to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from fastapi.testclient import TestClient  # noqa: E402

from restsync.demo.loopback import serve_asgi  # noqa: E402
from restsync.server import create_app  # noqa: E402
from restsync.service import Service, ServiceSettings  # noqa: E402

from .api import HelpApi  # noqa: E402

# Real time: the sync runs on its own thread; this only bounds how long a broken test hangs.
WAIT_LIMIT_S = 60


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path) -> ServiceSettings:
    return ServiceSettings(data_dir=data_dir, allow_private=True, scheduler=False,
                           env={"RESTSYNC_SECRET_KEY": ""})


@pytest.fixture
def service(settings: ServiceSettings) -> Iterator[Service]:
    service = Service.open(settings)
    yield service
    service.close()


@pytest.fixture
def help_api(serve: Callable) -> HelpApi:
    return serve(HelpApi())


@pytest.fixture
def app_client(settings: ServiceSettings) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings)
    _, token = app.state.service.tokens.create("admin")
    with TestClient(app) as client:
        yield client, token


@pytest.fixture
def client(app_client: tuple[TestClient, str]) -> TestClient:
    test_client, token = app_client
    test_client.headers["Authorization"] = f"Bearer {token}"
    return test_client


@pytest.fixture
def live() -> Callable[[Any], ContextManager[str]]:
    """`with live(app) as url`: the app under uvicorn on a loopback port."""
    return lambda app: serve_asgi(lambda _port: app)


def wait_for_idle(service: Service, connector_id: str) -> dict[str, Any]:
    """The connector's last run, once none is queued or running."""
    assert service.syncs.wait_idle(connector_id, timeout=WAIT_LIMIT_S), "the sync did not finish"
    return service.syncs.last_run(connector_id)
