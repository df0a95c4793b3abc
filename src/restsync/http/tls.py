"""Certificate checks for https APIs, with the trust store read when a TLS connection first needs it.

httpx builds a new SSL context and reads certifi's CA bundle for every transport it makes: about
50 ms, a twentieth of a 20,000-item fetch at 0 ms latency, paid even by an http:// API that never
starts TLS, and paid again by every client the server builds for a test or a preview. The context
here checks exactly what httpx's default does (a certificate is required and must name the host;
the CAs of SSL_CERT_FILE or SSL_CERT_DIR when set, else certifi's bundle) but reads them on the first
handshake, and one context serves every transport of the process, so they are read once.
"""

from __future__ import annotations

import os
import ssl
import threading

import httpx


class LazyTrustContext(ssl.SSLContext):
    """A client context (TLS 1.2+, CERT_REQUIRED, host names checked) whose CA certificates load on
    first use. `cafile`/`capath` name them; neither: the environment's, else certifi's bundle."""

    def __new__(cls, cafile: str | None = None, capath: str | None = None) -> "LazyTrustContext":
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self, cafile: str | None = None, capath: str | None = None):
        self._cafile = cafile
        self._capath = capath
        self._lock = threading.Lock()
        self.trust_loaded = False

    def wrap_socket(self, *args, **kwargs):  # type: ignore[override]
        self._load_trust()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args, **kwargs):  # type: ignore[override]
        self._load_trust()
        return super().wrap_bio(*args, **kwargs)

    def _load_trust(self) -> None:
        if self.trust_loaded:
            return
        with self._lock:
            if self.trust_loaded:
                return
            cafile, capath = self._cafile, self._capath
            if cafile is None and capath is None:
                cafile = os.environ.get("SSL_CERT_FILE") or None
                capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
                if cafile is None and capath is None:
                    import certifi  # httpx's own dependency

                    cafile = certifi.where()
            self.load_verify_locations(cafile, capath)
            keylog = os.environ.get("SSLKEYLOGFILE")
            if keylog:  # as ssl.create_default_context honours it, for debugging with Wireshark
                self.keylog_filename = keylog
            self.trust_loaded = True


_shared: LazyTrustContext | None = None
_shared_lock = threading.Lock()


def shared_trust_context() -> LazyTrustContext:
    """The process's one client context (created on first call; its CAs load on first handshake)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = LazyTrustContext()
    return _shared


def http_transport(**kwargs: object) -> httpx.HTTPTransport:
    """`httpx.HTTPTransport(**kwargs)` verifying with the shared context: nothing read for http://."""
    return httpx.HTTPTransport(verify=shared_trust_context(), **kwargs)  # type: ignore[arg-type]


def certificate_refusal(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed under a connection error, if that was the cause: a
    certificate does not become valid by asking again, so such an error is not retried."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None
