"""https APIs are verified as httpx verifies by default, and http:// APIs never read the trust store.

The TLS server is real (the standard library's, on loopback) with a self-signed certificate for
127.0.0.1 and localhost that lives beside this file (tls/cert.pem, tls/key.pem: test material,
valid until 2126, trusted by nothing but these tests).
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from restsync.demo.loopback import LoopbackHandler, LoopbackServer
from restsync.clock import FakeClock
from restsync.errors import SourceError
from restsync.http import tls
from restsync.http.client import HttpClient
from restsync.http.request import RequestSpec
from restsync.http.retry import RetryPolicy

CERT = Path(__file__).parent / "tls" / "cert.pem"
KEY = Path(__file__).parent / "tls" / "key.pem"
# The same, naming only localhost: a handshake verified against the pinned IP would fail with it.
NAME_ONLY_CERT = Path(__file__).parent / "tls" / "name-only-cert.pem"
NAME_ONLY_KEY = Path(__file__).parent / "tls" / "name-only-key.pem"


class _Hello(LoopbackHandler):
    def do_GET(self) -> None:
        self.send_body(200, b'{"items": [{"id": 1}]}')


@contextlib.contextmanager
def _tls_server(cert: Path, key: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def https_url():
    with _tls_server(CERT, KEY) as url:
        yield url


@pytest.fixture
def fresh_shared_context(monkeypatch):
    """The process-wide context as a new process has it: nothing read yet."""
    monkeypatch.setattr(tls, "_shared", None)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def test_the_shared_context_checks_certificates_and_host_names():
    context = tls.shared_trust_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert tls.shared_trust_context() is context  # one per process


def test_an_http_api_never_reads_the_trust_store(fresh_shared_context, monkeypatch):
    loads = []
    original = ssl.SSLContext.load_verify_locations

    def counted(self, *args, **kwargs):
        loads.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    with LoopbackServer(_Hello) as server:
        for _ in range(3):  # the server builds a client for every test and preview
            with HttpClient(allow_private=True) as client:
                response = client.send(RequestSpec(method="GET", url=server.url + "/items"))
            assert response.data == {"items": [{"id": 1}]}
    assert loads == []
    assert tls.shared_trust_context().trust_loaded is False

def test_an_untrusted_certificate_is_refused(fresh_shared_context, https_url):
    # certifi's bundle does not hold the test certificate: the handshake must fail, as with httpx's default.
    with httpx.Client(transport=tls.http_transport()) as client, pytest.raises(httpx.ConnectError,
                                                                                match="CERTIFICATE_VERIFY_FAILED"):
        client.get(https_url)
    assert tls.shared_trust_context().trust_loaded is True
    # Through restsync's client: at once, not retried (asking again cannot fix a certificate), with
    # the cause and the request named.
    clock = FakeClock()
    with HttpClient(allow_private=True, retry=RetryPolicy(max_attempts=5), clock=clock) as client, \
            pytest.raises(SourceError) as caught:
        client.send(RequestSpec(method="GET", url=https_url + "/items"))
    assert type(caught.value) is SourceError  # not RetriesExhaustedError: nothing was retried
    assert clock.sleeps == []
    assert "TLS certificate was refused: self-signed certificate" in str(caught.value)
    assert "SSL_CERT_FILE" in str(caught.value)
    assert caught.value.request == f"GET {https_url}/items"

def test_ssl_cert_file_names_the_trusted_certificates(fresh_shared_context, monkeypatch, https_url):
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))  # read at the first handshake, as httpx reads it
    with HttpClient(allow_private=True) as client:
        response = client.send(RequestSpec(method="GET", url=https_url + "/items"))
    assert response.data == {"items": [{"id": 1}]}


def test_a_host_name_is_verified_though_the_connection_is_pinned_to_its_address(fresh_shared_context, monkeypatch):
    # The guard connects to the address it checked; the handshake must still send and verify the
    # name, which is all this certificate names. localhost resolves to the server's address
    # whatever this machine's /etc/hosts lists first.
    monkeypatch.setenv("SSL_CERT_FILE", str(NAME_ONLY_CERT))
    with _tls_server(NAME_ONLY_CERT, NAME_ONLY_KEY) as url, \
            HttpClient(allow_private=True, resolver=lambda host: ["127.0.0.1"]) as client:
        by_name = url.replace("127.0.0.1", "localhost")
        assert client.send(RequestSpec(method="GET", url=by_name + "/items")).data == {"items": [{"id": 1}]}
        with pytest.raises(SourceError, match="TLS certificate was refused"):
            client.send(RequestSpec(method="GET", url=url + "/items"))  # by address: not what it names


def test_a_context_given_its_own_ca_file(https_url):
    context = tls.LazyTrustContext(cafile=str(CERT))
    assert context.trust_loaded is False
    with httpx.Client(transport=httpx.HTTPTransport(verify=context)) as client:
        assert client.get(https_url).json() == {"items": [{"id": 1}]}
    assert context.trust_loaded is True
    # the host name is checked too: the certificate names 127.0.0.1 and localhost only
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        context.wrap_socket(_connected(https_url), server_hostname="api.example.com")


def _connected(url: str):
    import socket

    port = int(url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port))

