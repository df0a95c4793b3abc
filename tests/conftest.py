"""Shared fixtures: a fake clock (no test ever sleeps) and loopback API servers stopped after each test."""

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


# -- the distributed backends (the `scale` extra) ---------------------------------------------
@pytest.fixture
def milvus_url(tmp_path) -> str:
    """A fresh Milvus Lite index file for one test."""
    pytest.importorskip("pymilvus", reason="the Milvus index needs the scale extra (pymilvus, milvus-lite)")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (the scale extra)")
    return f"milvus+lite://{tmp_path}/index.db"


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL cluster started for this test session (skipped only where none is installed)."""
    from servers.postgres import Cluster, binaries

    pytest.importorskip("psycopg", reason="PostgreSQL needs the scale extra (psycopg)")
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


@pytest.fixture(params=["sqlite", "postgres"])
def open_kb(request, tmp_path) -> Callable[..., Any]:
    """`open_kb(name, **options)` opens knowledge base `name` on each store: a directory
    (SQLite, its own index), or PostgreSQL with a Milvus Lite index (the distributed setup)."""
    from restsync.kb import KnowledgeBase

    if request.param == "sqlite":
        return lambda name, **options: KnowledgeBase.open(tmp_path / name, **options)
    store_url = request.getfixturevalue("postgres_url")
    index_url = request.getfixturevalue("milvus_url")
    return lambda name, **options: KnowledgeBase.open(name, store_url=store_url, index_url=index_url, **options)
