"""What an HttpClient costs before it sends: a client used only to check the configured URL (the
connector refuses a disallowed target at construction) builds no connection pool and loads no
TLS trust store; a walk builds exactly one."""

from __future__ import annotations

import httpx
import pytest

from restsync.connector import RestApiConnector
from restsync.errors import BlockedAddressError, ConfigError
from restsync.http import HttpClient, RequestSpec
from servers.bearer_only import TOKEN, BearerOnlyServer


@pytest.fixture
def transports(monkeypatch) -> list[httpx.HTTPTransport]:
    made: list[httpx.HTTPTransport] = []
    original = httpx.HTTPTransport.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.HTTPTransport, "__init__", counting)
    return made


def test_a_walk_builds_one_transport(transports):
    with BearerOnlyServer() as server:
        config = {"url": server.url("/notes"), "auth_type": "bearer", "auth_config": {"token": TOKEN},
                  "items_path": "$.items", "id_field": "id", "content_fields": ["text"]}
        connector = RestApiConnector(config, allow_private=True)
        assert transports == []  # the URL check at construction needs none
        docs = [doc for batch in connector.load_from_state() for doc in batch]
        connector.close()
    assert [doc.content for doc in docs] == ["note 0", "note 1", "note 2"]
    assert len(transports) == 1


def test_checking_a_url_sends_nothing_and_still_refuses(transports):
    client = HttpClient(resolver=lambda host: ["10.0.0.7"])
    with pytest.raises(BlockedAddressError, match="disallowed address 10.0.0.7"):
        client.check_url("http://intranet.example/api")
    client.close()
    assert transports == []


def test_bad_headers_fail_at_construction_naming_the_header():
    with pytest.raises(ConfigError, match="X-Bad") as raised:
        HttpClient(headers={"X-Bad": object()})  # type: ignore[dict-item]
    assert raised.value.key == "headers"


def test_a_closed_client_does_not_reopen():
    with BearerOnlyServer() as server:
        client = HttpClient(allow_private=True, headers={"Authorization": f"Bearer {TOKEN}"})
        assert client.send(RequestSpec("GET", server.url("/x"))).status == 200
        client.close()
        with pytest.raises(RuntimeError):
            client.send(RequestSpec("GET", server.url("/x")))
