"""Fixtures for the distributed backends: Milvus Lite files (the `scale` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pg.py


@pytest.fixture
def milvus_url(tmp_path):
    """A fresh Milvus Lite index file for one test."""
    pytest.importorskip("pymilvus", reason="the Milvus index needs the scale extra (pymilvus, milvus-lite)")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (the scale extra)")
    return f"milvus+lite://{tmp_path}/index.db"


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL cluster started for this test session (skipped only where none is installed)."""
    from pg import Cluster, binaries

    pytest.importorskip("psycopg", reason="PostgreSQL state needs the scale extra (psycopg)")
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)")
    cluster = Cluster(bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster, request):
    """A new, empty database for one test."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:6]
    return postgres_cluster.create_database(name)
