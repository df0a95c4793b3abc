"""The knowledge base and the connector implement the protocols the sync engine is written against."""

from __future__ import annotations

import inspect

import pytest

from restsync.config import load_config
from restsync.connector import RestApiConnector
from restsync.kb import KnowledgeBase
from restsync.kb.settings import KBSettings
from restsync.sync.seams import SyncIndex, SyncSource

CASES = [(KnowledgeBase, SyncIndex), (RestApiConnector, SyncSource)]


def protocol_methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items() if inspect.isfunction(value) and not name.startswith("_")]


@pytest.mark.parametrize(("cls", "protocol"), CASES)
def test_every_protocol_method_exists_with_the_protocols_parameters(cls, protocol):
    names = protocol_methods(protocol)
    assert names  # the protocol names something to check
    for name in names:
        wanted = inspect.signature(getattr(protocol, name)).parameters
        real = inspect.signature(getattr(cls, name)).parameters
        for parameter in wanted.values():
            assert parameter.name in real, f"{cls.__name__}.{name} lacks {parameter.name}"
            assert real[parameter.name].kind == parameter.kind, f"{cls.__name__}.{name}({parameter.name})"
            if parameter.default is not inspect.Parameter.empty:
                assert real[parameter.name].default == parameter.default, f"{cls.__name__}.{name}({parameter.name})"


def test_real_instances_pass_the_runtime_checks(tmp_path):
    kb = KnowledgeBase.open(tmp_path / "kb", settings=KBSettings(embedder="hashing-64"))
    try:
        assert isinstance(kb, SyncIndex)
    finally:
        kb.close()
    connector = RestApiConnector(load_config({"url": "http://127.0.0.1:9/items", "content_fields": ["title"]}),
                                 allow_private=True)
    try:
        assert isinstance(connector, SyncSource)
        assert isinstance(connector.report.pages, int) and connector.report.truncated is False
    finally:
        connector.close()


def test_an_object_missing_a_method_is_not_an_index():
    class NoPrune:
        def lock_source(self, source): ...

    assert not isinstance(NoPrune(), SyncIndex)
