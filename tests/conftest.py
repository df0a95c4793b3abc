"""Shared fixtures: a fake clock (no test ever sleeps), loopback API servers stopped after each
test, and the distributed backends (a PostgreSQL cluster per session, Milvus Lite files, and
`open_kb`, a knowledge base on each backend)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pytest

# The fake APIs live in tests/servers; make them importable however pytest lays out rootdirs.
sys.path.insert(0, str(Path(__file__).parent))

from restsync.clock import FakeClock  # noqa: E402
from servers.base import ApiServer  # noqa: E402

S = TypeVar("S", bound=ApiServer)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve() -> Iterator[Callable[[S], S]]:
    """`serve(SomeServer(...))` starts it on 127.0.0.1 and returns it; stopped at teardown."""
    started: list[ApiServer] = []

    def start(server: S) -> S:
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def milvus_url(tmp_path: Path) -> str:
    """A fresh Milvus Lite index file for one test."""
    pytest.importorskip("pymilvus", reason="the Milvus index needs the scale extra (pymilvus, milvus-lite)")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (the scale extra)")
    return f"milvus+lite://{tmp_path}/index.db"


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL cluster started for this test session (skipped only where none is installed)."""
    from servers.postgres import Cluster, binaries

    pytest.importorskip("psycopg", reason="PostgreSQL state needs the scale extra (psycopg)")
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)")
    cluster = Cluster(bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster, request) -> str:
    """A new, empty database for one test."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:6]
    return postgres_cluster.create_database(name)


@pytest.fixture(params=["embedded", "milvus", "postgres"])
def open_kb(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """`open_kb(path, **options)` opens a knowledge base on each backend of the test: its own
    directory and index (embedded), its directory searched through Milvus Lite (milvus), or
    stored in PostgreSQL (named after the path's last part) and searched through Milvus Lite
    (postgres: the distributed setup)."""
    from restsync.kb import KnowledgeBase

    index_url = request.getfixturevalue("milvus_url") if request.param != "embedded" else None
    store_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None

    def open_on_this_backend(path: str | Path, **options: Any) -> KnowledgeBase:
        location = Path(path).name if store_url else path
        return KnowledgeBase.open(location, index_url=index_url, store_url=store_url, **options)

    return open_on_this_backend
