"""No secret reaches an error message, even when the server echoes the whole request back.

The audit's reproductions: `${ENV}` header and query values, a plain `key` query value and a
RAGFlow-style `Authorization=Token ...` header text, against an API that answers 400 (or 500,
or 200 with HTML) quoting its input.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from restsync.clock import FakeClock
from restsync.config import load_config
from restsync.connector import RestApiConnector
from restsync.errors import ClientRequestError, InvalidResponseError, RetriesExhaustedError, SourceError
from restsync.http import HttpClient, RequestSpec, RetryPolicy
from servers.loopback import LoopbackServer, Reply, Seen

ENV = {"HK": "ENVHDRSECRET", "QK": "ENVQSECRET", "QV": "ENVQVALUE"}
ALL_SECRETS = ("ENVHDRSECRET", "ENVQSECRET", "ENVQVALUE", "QSECRET", "RAWSECRET")


def echo(status: int, content_type: str = "text/plain"):
    """Answer `status` with a body quoting the path and every header, as some APIs do on 400."""
    def respond(seen: Seen, index: int) -> Reply:
        headers = " ".join(f"{name}={value}" for name, value in seen.headers.items())
        body = f"bad request: {unquote(seen.path)} {headers}"
        return Reply(status, body, {"Content-Type": content_type})
    return respond


def send_configured(server: LoopbackServer, raw: dict, retry: RetryPolicy | None = None) -> SourceError:
    """Send the config's request through a client given `config.secret_values()`; the error it raises."""
    config = load_config({**raw, "url": server.url("/items")}, env=ENV)
    client = HttpClient(allow_private=True, clock=FakeClock(), secrets=config.secret_values(),
                        retry=retry or RetryPolicy(max_attempts=2, jitter=0.0))
    try:
        with pytest.raises(SourceError) as raised:
            client.send(RequestSpec("GET", config.url, params=dict(config.query_params), headers=dict(config.headers)))
    finally:
        client.close()
    return raised.value


def assert_no_secret(error: SourceError) -> None:
    text = f"{error} {error.request}"
    for secret in ALL_SECRETS:
        assert secret not in text
    assert "***" in text


ENV_CONFIG = {"headers": {"X-Key": "${HK}"}, "query_params": {"token": "${QK}", "q": "${QV}", "key": "QSECRET"}}


def test_env_and_plain_secrets_are_masked_in_a_400_echo():
    with LoopbackServer(echo(400)) as server:
        error = send_configured(server, ENV_CONFIG)
    sent = server.requests[0]
    assert sent.headers["x-key"] == "ENVHDRSECRET" and "token=ENVQSECRET" in sent.path  # really sent...
    assert isinstance(error, ClientRequestError)
    assert_no_secret(error)  # ...never shown
    assert "bad request" in str(error) and "/items?" in str(error)  # the message stays useful


def test_ragflow_header_text_with_a_token_is_masked():
    with LoopbackServer(echo(400)) as server:
        error = send_configured(server, {"headers": "Authorization=Token RAWSECRET"})
    assert server.requests[0].headers["authorization"] == "Token RAWSECRET"
    assert_no_secret(error)


def test_secrets_are_masked_after_retries_and_in_non_json_bodies():
    with LoopbackServer(echo(500)) as server:
        error = send_configured(server, ENV_CONFIG)
    assert isinstance(error, RetriesExhaustedError)
    assert_no_secret(error)
    with LoopbackServer(echo(200, "text/html")) as server:
        error = send_configured(server, ENV_CONFIG)
    assert isinstance(error, InvalidResponseError)
    assert_no_secret(error)


def test_a_secret_straddling_the_preview_cut_is_masked_whole():
    padding = "x" * 195  # the error preview is cut at 200 characters, inside the secret
    with LoopbackServer(lambda seen, index: Reply(400, padding + " ENVQSECRET tail")) as server:
        error = send_configured(server, ENV_CONFIG)
    assert "ENVQ" not in str(error)
    assert "xxxxx ***" in str(error)  # the preview is shown, the secret masked as a whole


def test_request_headers_and_params_under_credential_names_are_masked_without_registration():
    # A client given no secrets still hides what a request carries under credential-looking names.
    with LoopbackServer(echo(400)) as server:
        client = HttpClient(allow_private=True, clock=FakeClock())
        spec = RequestSpec("GET", server.url("/items"), params={"token": "ENVQSECRET", "key": "QSECRET"},
                           headers={"X-Key": "ENVHDRSECRET", "Authorization": "Token RAWSECRET"})
        with pytest.raises(ClientRequestError) as raised:
            client.send(spec)
        client.close()
    assert_no_secret(raised.value)


def test_connector_errors_mask_credential_named_values():
    # The CLI path: the connector builds the request from the config.
    with LoopbackServer(echo(400)) as server:
        config = load_config({**ENV_CONFIG, "url": server.url("/items"), "content_fields": ["title"]}, env=ENV)
        connector = RestApiConnector(config, allow_private=True, clock=FakeClock())
        with pytest.raises(ClientRequestError) as raised:
            connector.validate()
    text = f"{raised.value}"
    for secret in ("ENVHDRSECRET", "ENVQSECRET", "QSECRET"):
        assert secret not in text
    assert "***" in text and "/items?" in text  # masked in place, the request still named
