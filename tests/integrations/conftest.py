"""Knowledge bases the integration tests search: the demo help centre synced with the hashing
embedder (no model in the hot path), and a small hand-made one whose answers are known."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from restsync.cli.demo import config_path
from restsync.config import load_config
from restsync.demo.server import DemoApiServer
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.sync import sync_source

from .knowledge import build_small_kb



@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    return build_small_kb(tmp_path / "small-kb")


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo help centre (150 articles) synced into a knowledge base once per test run."""
    directory = tmp_path_factory.mktemp("demo") / "kb"
    with DemoApiServer() as server:
        config = load_config(config_path(), env={"RESTSYNC_DEMO_URL": server.url})
        with KnowledgeBase.open(directory, embedder=HashingEmbedder()) as kb:
            result = sync_source(kb, "help", config, allow_private=True)
            assert result.counts.new == 150, result.to_dict()
    yield directory
