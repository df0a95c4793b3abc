"""Error text an operator can act on: non-JSON bodies and refused private addresses."""

from __future__ import annotations

import pytest

from restsync.clock import FakeClock
from restsync.errors import BlockedAddressError, InvalidResponseError
from restsync.http import HttpClient, RequestSpec
from restsync.http.body import describe_not_json
from servers.loopback import LoopbackServer, Reply

LOGIN_PAGE = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>" + "Please log in. " * 20 + "</body></html>"


def not_json_error(reply: Reply, **client_args) -> tuple[InvalidResponseError, str]:
    """The error for a 200 answered with `reply`, and the URL that was asked."""
    with LoopbackServer(lambda seen, index: reply) as server:
        client = HttpClient(allow_private=True, clock=FakeClock(), **client_args)
        with pytest.raises(InvalidResponseError) as raised:
            client.send(RequestSpec("GET", server.url("/items"), params={"page": "1"}))
        client.close()
        assert len(server.requests) == 1  # a complete non-JSON body is not retried
        return raised.value, server.url("/items?page=1")


def test_html_body_names_request_content_type_preview_and_hint():
    error, url = not_json_error(Reply(200, LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"}))
    text = str(error)
    assert f"GET {url}" in text and error.status == 200
    assert "Content-Type: text/html; charset=utf-8" in text
    assert "'<!DOCTYPE html> <html><head><title>Sign in</title>" in text  # whitespace collapsed
    assert "Please log in. " * 5 not in text  # only the first ~80 characters
    assert "a login or error page?" in text
    assert "Expecting value" in text  # the parser's own detail is kept


def test_plain_text_body_has_no_html_hint():
    error, _ = not_json_error(Reply(200, "OK", {"Content-Type": "text/plain"}))
    assert "Content-Type: text/plain" in str(error) and "body starts: 'OK'" in str(error)
    assert "login" not in str(error)


def test_html_without_a_content_type_is_still_recognised():
    error, _ = not_json_error(Reply(200, "<html><body>maintenance</body></html>"))
    assert "no Content-Type" in str(error) and "a login or error page?" in str(error)


def test_secrets_in_the_preview_are_masked_even_across_the_cut():
    body = "<html>" + "y" * 70 + "TOPSECRETVALUE</html>"  # the secret starts before char 80, ends after
    error, _ = not_json_error(Reply(200, body, {"Content-Type": "text/html"}), secrets=["TOPSECRETVALUE"])
    assert "TOPSEC" not in str(error) and "***" in str(error)


def test_describe_not_json_with_undecodable_bytes():
    message = describe_not_json(b"\xff\xfe\x00binary", "application/octet-stream", "not UTF-8", lambda t: t)
    assert "application/octet-stream" in message and "binary" in message


def test_refused_private_address_ends_with_an_actionable_hint():
    client = HttpClient(clock=FakeClock())
    hint = "pass allow_private=True (the CLI's --allow-private) to reach them on purpose"
    with pytest.raises(BlockedAddressError) as raised:
        client.send(RequestSpec("GET", "http://127.0.0.1:9/items"))
    assert str(raised.value).endswith(hint) and "GET http://127.0.0.1:9/items" in str(raised.value)
    with pytest.raises(BlockedAddressError) as raised:
        client.check_url("http://localhost/items")
    assert str(raised.value).endswith(hint)
    client.close()


def test_a_bad_scheme_gets_no_private_address_hint():
    client = HttpClient(clock=FakeClock())
    with pytest.raises(BlockedAddressError) as raised:
        client.check_url("ftp://files.example.test/x")
    assert "allow_private" not in str(raised.value)
    client.close()
