"""The sync engine's tests run on both indexes: the knowledge base's own (embedded) and Milvus
Lite (the distributed index), through `open_kb`, which opens a knowledge base on the test's one."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from restsync.kb import KnowledgeBase


@pytest.fixture(params=["embedded", "milvus"])
def open_kb(request: pytest.FixtureRequest) -> Callable[..., KnowledgeBase]:
    index_url = request.getfixturevalue("milvus_url") if request.param == "milvus" else None

    def open_on_this_index(path: str | Path, **options: Any) -> KnowledgeBase:
        return KnowledgeBase.open(path, index_url=index_url, **options)

    return open_on_this_index
