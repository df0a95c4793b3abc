"""Server test fixtures: a service or app on a temporary data directory, on each backend (hashing
embedder, no scheduler thread, loopback allowed for the local test APIs), an admin token, a live uvicorn
server on loopback, and a helper that waits for a connector's sync to end."""

from __future__ import annotations

import uuid
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


@pytest.fixture(params=["embedded", "scaled"])
def new_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], dict[str, str]]:
    """Every server test runs on both backends: the embedded default (SQLite, each knowledge
    base's own index) and the distributed one (PostgreSQL state, Milvus Lite index). Each call
    gives a backend of this kind holding nothing yet: the settings' keyword arguments."""
    made = [0]

    def make() -> dict[str, str]:
        made[0] += 1
        if request.param == "embedded":
            return {}
        cluster = request.getfixturevalue("postgres_cluster")
        return {"database_url": cluster.create_database(f"{uuid.uuid4().hex[:12]}_{made[0]}"),
                "index_url": f"milvus+lite://{tmp_path}/index-{made[0]}.db"}

    if request.param == "scaled":
        request.getfixturevalue("milvus_url")  # skips where the scale extra is not installed
    return make


@pytest.fixture
def backend(new_backend: Callable[[], dict[str, str]]) -> dict[str, str]:
    return new_backend()


def stored_state(settings: ServiceSettings) -> bytes:
    """Everything the state database holds: the SQLite file's bytes and its write-ahead log's
    (where recent writes sit until a checkpoint), or every PostgreSQL row."""
    if not settings.database_url:
        files = [settings.data_dir / name for name in ("restsync.db", "restsync.db-wal")]
        return b"".join(path.read_bytes() for path in files if path.is_file())
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(settings.database_url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as connection:
            rows = [repr(row) for table in tables.sorted_tables for row in connection.execute(table.select())]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()


@pytest.fixture
def settings(data_dir: Path, backend: dict[str, str]) -> ServiceSettings:
    return ServiceSettings(data_dir=data_dir, allow_private=True, scheduler=False,
                           env={"RESTSYNC_SECRET_KEY": ""}, **backend)


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
