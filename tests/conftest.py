"""Shared fixtures: a fake clock (no test ever sleeps) and loopback API servers stopped after each test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator, TypeVar

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
