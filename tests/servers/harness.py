"""What every end-to-end test does: build a connector for a loopback server, drain a walk, check documents."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Iterable, Mapping

from restsync.clock import FakeClock
from restsync.connector import RestApiConnector
from restsync.document import Document

from .dataset import SampleItem


def connect(config: Mapping[str, Any], clock: FakeClock, **kwargs: Any) -> RestApiConnector:
    """Servers listen on 127.0.0.1, which the SSRF guard refuses unless allowed."""
    return RestApiConnector(dict(config), allow_private=True, clock=clock, **kwargs)


def load_all(connector: RestApiConnector) -> list[Document]:
    return [doc for batch in connector.load_from_state() for doc in batch]


def poll_all(connector: RestApiConnector, start: datetime | float, end: datetime | float) -> list[Document]:
    return [doc for batch in connector.poll_source(start, end) for doc in batch]


def assert_unique(documents: Iterable[Document]) -> None:
    counts = Counter(doc.id for doc in documents)
    repeated = {doc_id: n for doc_id, n in counts.items() if n > 1}
    assert not repeated, f"duplicate document ids: {list(repeated.items())[:5]}"


def by_title(documents: Iterable[Document]) -> dict[str, Document]:
    return {doc.semantic_identifier: doc for doc in documents}


def assert_mapped(doc: Document, item: SampleItem, *, link: str | None, metadata: Mapping[str, Any]) -> None:
    """The fields every shape maps the same way: title, text without HTML, time, link, metadata."""
    assert doc.semantic_identifier == item.title
    assert item.title in doc.content
    assert item.plain_body in doc.content
    assert "<" not in doc.content and ">" not in doc.content
    assert doc.doc_updated_at == item.updated_at
    assert doc.link == link
    for key, value in metadata.items():
        assert doc.metadata.get(key) == value, f"metadata[{key!r}] = {doc.metadata.get(key)!r}, expected {value!r}"
    assert doc.source == "rest_api"
