"""`HttpClient.send`: one API request in, parsed JSON out, or a restsync error that names it.

The client follows redirects itself (each hop through the SSRF guard, credentials dropped
across origins), retries transient faults, waits out rate limits and parses JSON. One
`httpx.Client` is shared by all threads, so connections are pooled and kept alive.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any, Callable, Iterable, Mapping

import httpx

from restsync.clock import Clock, SystemClock
from restsync.errors import (
    AuthError,
    BlockedAddressError,
    ClientRequestError,
    ConfigError,
    InvalidResponseError,
    RateLimitExhaustedError,
    RetriesExhaustedError,
    SourceError,
)
from restsync.http import cookies, deadline
from restsync.http.auth import TokenEndpointUnavailable
from restsync.http.body import NotJsonError, TruncatedBodyError, UnusableJsonError, duplicate_keys
from restsync.http.formats import ACCEPT, decode_body, describe_unreadable, resolve_format
from restsync.http.limits import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_RESPONSE_MB,
    MB,
    LimitedTransport,
    ResponseTooLargeError,
    UnsupportedEncodingError,
)
from restsync.http.pacing import RatePacer
from restsync.http.redact import SENSITIVE_QUERY_PARAMS, Redactor, is_sensitive_name, secret_parts
from restsync.http.request import ApiResponse, RequestSpec, merge_query, remove_query_params, request_url
from restsync.http.retry import Action, RetryPolicy, backoff_delay, classify
from restsync.http.ssrf import AddressGuard, GuardedTransport, Resolver, pin_connections
from restsync.http.tls import certificate_refusal, http_transport
from restsync.http.wording import body_preview, fault_reason, seconds_text, wait_source

logger = logging.getLogger("restsync.http")

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that carry credentials whatever the auth type; the auth object adds its own.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
DEFAULT_HEADERS = {"User-Agent": "restsync", "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
PRIVATE_ADDRESS_HINT = ("private, loopback and link-local targets are refused unless allowed: pass allow_private=True "
                        "(the CLI's --allow-private) to reach them on purpose")

# Called with (seconds, reason) right before the client sleeps, so a long wait is visible.
WaitListener = Callable[[float, str], None]

# Faults where trying again may help: dropped connections, bodies cut short, token endpoint 5xx.
_TRANSIENT_FAULTS = (httpx.TransportError, httpx.DecodingError, TruncatedBodyError, TokenEndpointUnavailable)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default_port)


class HttpClient:
    def __init__(self, *, timeout: float = 30.0, headers: Mapping[str, str] | None = None,
                 auth: httpx.Auth | None = None, allow_private: bool = False,
                 resolver: Resolver | None = None, clock: Clock | None = None,
                 retry: RetryPolicy | None = None, requests_per_second: float | None = None,
                 transport: httpx.BaseTransport | None = None, max_connections: int = 16,
                 secrets: Iterable[str] = (), on_wait: WaitListener | None = None,
                 credential_origin: str | None = None,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_MB * MB, response_format: str | None = None):
        self._on_wait = on_wait
        self._response_format = response_format  # None/auto: by Content-Type (see http/formats.py)
        # One deadline per exchange (connect + headers + body): per-operation timeouts alone
        # never fire on a server that drips a byte at a time.
        self._timeout = timeout
        # Credentials belong to the configured API's origin. A next-page URL the server names on
        # another origin is fetched without them, exactly like a cross-origin redirect.
        try:
            self._credential_origin = _origin(httpx.URL(credential_origin)) if credential_origin else None
        except httpx.InvalidURL as exc:
            raise ConfigError(f"invalid URL: {exc}", key="url") from None
        self._clock = clock or SystemClock()
        self._retry = retry or RetryPolicy()
        self._auth = auth
        self._pacer = RatePacer(requests_per_second, self._clock) if requests_per_second else None
        self._guard = AddressGuard(allow_private=allow_private, resolver=resolver)
        # Built on first use: a client made only to check the configured URL (the connector does so
        # at construction) never loads the TLS trust store or opens a pool. Headers are checked now.
        self._transport_given = transport
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._headers = _checked_headers({**DEFAULT_HEADERS, **_accept(response_format), **(headers or {})})
        self._httpx: httpx.Client | None = None
        self._httpx_lock = threading.Lock()
        self._closed = False
        auth_headers = getattr(auth, "header_names", ())
        auth_params = tuple(getattr(auth, "query_param_names", ()))
        self._stripped_headers = CREDENTIAL_HEADERS | {h.lower() for h in auth_headers}
        self._auth_params = auth_params
        self._stripped_params = SENSITIVE_QUERY_PARAMS | {p.lower() for p in auth_params}
        secret_values = getattr(auth, "secret_values", None)
        self._redactor = Redactor(secrets, auth_params, dynamic_secrets=secret_values)
        self._random = random.Random()
        # Duplicate-key detection parses a body twice: done for the first page only (what
        # check and preview show), so a walk's pages are not slowed down.
        self._duplicate_checks_left = 1

    # -- public API ---------------------------------------------------------------------------

    def send(self, spec: RequestSpec) -> ApiResponse:
        """Send `spec` (following redirects, retrying, pacing); thread-safe."""
        policy = self._retry
        retries = policy.max_attempts - 1
        failures = 0
        timeouts = 0
        rate_limited = 0
        while True:
            started = self._clock.monotonic()
            try:
                response, final_url = self._exchange(spec)
                status = response.status_code
                if 200 <= status < 300:
                    content = response.content
                    content_type = response.headers.get("content-type")
                    data = decode_body(content, content_type, self._response_format)
                    repeated: tuple[str, ...] = ()
                    if (self._duplicate_checks_left > 0 and data is not None
                            and resolve_format(self._response_format, content_type) == "json"):
                        self._duplicate_checks_left -= 1  # a race here only checks one more page
                        repeated = tuple(duplicate_keys(content))
                    return ApiResponse(status=status, headers=response.headers, url=str(final_url),
                                       data=data, request=spec, elapsed_s=self._clock.monotonic() - started,
                                       size_bytes=len(content), duplicate_keys=repeated)
            except httpx.LocalProtocolError:
                # h11 refused to write our own request (a header name with a space, a line break in
                # a credential): sending it again cannot help. Its message quotes the header value
                # escaped, which the redactor would not recognise as a secret, so it is not shown.
                raise ConfigError("this request cannot be sent: a header name or value is malformed (a space in "
                                  "a header name, or a line break or control character in a header value or "
                                  f"credential?) [{self.describe(spec)}]", key="headers") from None
            except _TRANSIENT_FAULTS as exc:
                refusal = certificate_refusal(exc)
                if refusal is not None:
                    raise SourceError(f"the API's TLS certificate was refused: {refusal.verify_message or refusal} "
                                      "(a private CA? name its certificates with SSL_CERT_FILE or SSL_CERT_DIR)",
                                      request=self.describe(spec)) from None
                failures += 1
                reason = self._fault_reason(exc, spec)
                if isinstance(exc, httpx.TimeoutException):
                    # Each timeout costs a whole `timeout`: a server that stopped answering is not
                    # waited on max_attempts times over.
                    timeouts += 1
                    if timeouts >= policy.max_timeouts:
                        raise RetriesExhaustedError(f"gave up after {timeouts} timeouts: {reason}",
                                                    request=self.describe(spec)) from None
                if failures >= policy.max_attempts:
                    raise RetriesExhaustedError(f"gave up after {failures} attempts: {reason}",
                                                request=self.describe(spec)) from None
                wait = backoff_delay(policy, failures, self._random.random())
                self._pause(wait, spec, f"{reason}, retry {failures} of {retries} in {seconds_text(wait)}")
                continue
            except UnusableJsonError as exc:
                raise InvalidResponseError(str(exc), request=self.describe(spec), status=status) from None
            except NotJsonError as exc:
                message = describe_unreadable(exc, response.content, response.headers.get("content-type"),
                                              lambda text: self._redact(text, spec))
                raise InvalidResponseError(message, request=self.describe(spec), status=status) from None
            except BlockedAddressError as exc:
                raise BlockedAddressError(self._blocked_message(exc, self.describe(spec))) from None
            except httpx.InvalidURL as exc:
                raise ConfigError(f"invalid URL ({exc}) [{self.describe(spec)}]", key="url") from None
            except ResponseTooLargeError as exc:
                raise InvalidResponseError(f"{exc} (max_response_mb)", request=self.describe(spec)) from None
            except UnsupportedEncodingError as exc:
                raise InvalidResponseError(str(exc), request=self.describe(spec)) from None

            verdict = classify(status, response.headers, self._clock.time(), policy)
            if verdict.action is Action.RATE_LIMITED:
                rate_limited += 1
                if rate_limited >= policy.max_rate_limit_waits:
                    raise RateLimitExhaustedError(
                        f"too many requests: still rate limited (HTTP {status}) after {rate_limited} attempts",
                        request=self.describe(spec), status=status)
                wait = verdict.wait
                if wait is None:
                    wait = backoff_delay(policy, rate_limited, self._random.random())
                self._pause(wait, spec, f"rate limited ({wait_source(status, verdict)}), waiting {seconds_text(wait)}")
            elif verdict.action is Action.TRANSIENT:
                failures += 1
                if failures >= policy.max_attempts:
                    raise RetriesExhaustedError(f"gave up after {failures} attempts: HTTP {status}",
                                                request=self.describe(spec), status=status)
                wait = verdict.wait
                if wait is None:
                    wait = backoff_delay(policy, failures, self._random.random())
                self._pause(wait, spec, f"{wait_source(status, verdict)}, retry {failures} of {retries} "
                                        f"in {seconds_text(wait)}")
            elif verdict.action is Action.AUTH_FAILED:
                raise AuthError(f"authentication failed with status {status}{self._preview(response, spec)}",
                                request=self.describe(spec), status=status)
            elif verdict.action is Action.CLIENT_ERROR:
                raise ClientRequestError(
                    f"non-retriable client error status {status}{self._preview(response, spec)}",
                    request=self.describe(spec), status=status)
            else:
                raise InvalidResponseError(f"unexpected status {status}{self._preview(response, spec)}",
                                           request=self.describe(spec), status=status)

    def run_time_secrets(self) -> tuple[str, ...]:
        """Secrets the auth learnt while running (an OAuth2 access token), beside the configured ones."""
        secret_values = getattr(self._auth, "secret_values", None)
        return tuple(secret_values()) if callable(secret_values) else ()

    def check_url(self, url: str) -> None:
        """Run the SSRF check on `url` up front (raises BlockedAddressError)."""
        try:
            self._guard.check_url(httpx.URL(url))
        except BlockedAddressError as exc:
            raise BlockedAddressError(self._blocked_message(exc, None)) from None
        except httpx.InvalidURL as exc:
            raise ConfigError(f"invalid URL: {exc}", key="url") from None
        except httpx.ConnectError as exc:
            raise SourceError(str(exc), request=self._redactor.redact(url)) from None

    @property
    def _client(self) -> httpx.Client:
        client = self._httpx
        if client is None:
            with self._httpx_lock:
                if self._httpx is None:
                    self._httpx = self._build_client()
                client = self._httpx
        return client

    def _build_client(self) -> httpx.Client:
        if self._closed:
            raise RuntimeError("HttpClient is closed")
        transport = self._transport_given
        owns_transport = transport is None
        if transport is None:
            limits = httpx.Limits(max_connections=self._max_connections,
                                  max_keepalive_connections=self._max_connections)
            transport = http_transport(limits=limits)
            deadline.install(transport)
        # Our own pool pins connections itself (per host name); a caller's transport gets pinned URLs.
        pinned_below = owns_transport and pin_connections(transport, self._guard)
        guarded = GuardedTransport(transport, self._guard, close_inner=owns_transport, pinned_below=pinned_below)
        client = httpx.Client(
            transport=LimitedTransport(guarded, self._max_response_bytes),
            headers=self._headers,
            timeout=self._timeout,
            follow_redirects=False,  # followed here, so every hop is checked and stripped
            trust_env=False,  # env proxies would be mounted beside the guarded transport
        )
        cookies.install(client)
        return client

    def close(self) -> None:
        with self._httpx_lock:
            self._closed = True
            client, self._httpx = self._httpx, None
        if client is not None:
            client.close()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one exchange: a request and its redirects --------------------------------------------

    def _exchange(self, spec: RequestSpec) -> tuple[httpx.Response, httpx.URL]:
        method = spec.method.upper()
        url: httpx.URL | str = request_url(spec)  # composed here, never by httpx's `params=`
        body = spec.json
        first_origin = self._credential_origin
        crossed_origin = False
        for hop in range(MAX_REDIRECTS + 1):
            request = self._client.build_request(method, url, headers=spec.headers or None, json=body)
            target = request.url  # before auth adds anything (api-key query params)
            if first_origin is None:
                first_origin = _origin(target)
            elif _origin(target) != first_origin:
                crossed_origin = True  # stays set: credentials never come back on later hops
            if crossed_origin:
                self._strip_credentials(request)
            if self._pacer is not None:
                self._pacer.acquire()
            with deadline.deadline_after(self._timeout):
                response = self._client.send(request, auth=None if crossed_origin else self._auth)
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response, target
            if hop == MAX_REDIRECTS:
                raise BlockedAddressError(f"Exceeded {MAX_REDIRECTS} redirects (last Location: "
                                          f"{self._redactor.redact(location)})")
            url = target.join(location)  # the Location is followed as given: its query replaces ours
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, body = "GET", None
        raise AssertionError("unreachable")  # pragma: no cover

    def _strip_credentials(self, request: httpx.Request) -> None:
        secrets = self._redactor.secrets()
        for name, value in list(request.headers.items()):
            if name.lower() in self._stripped_headers or any(s in value for s in secrets):
                del request.headers[name]
        url = request.url
        if url.userinfo:
            url = url.copy_with(userinfo=b"")
        if any(name.lower() in self._stripped_params for name in url.params.keys()):
            url = httpx.URL(remove_query_params(str(url), self._stripped_params, ignore_case=True))
        request.url = url

    # -- helpers -------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """`text` with every known secret masked (for reports built outside this client)."""
        return self._redactor.redact(text)

    def describe(self, spec: RequestSpec) -> str:
        """`METHOD url` exactly as sent (the same composition as `_exchange`, auth query parameters
        shown masked where they are added) with every secret masked: safe for messages and logs."""
        url = request_url(spec)
        try:
            url = str(httpx.URL(url))
            if self._auth_params and self._carries_credentials(httpx.URL(url)):
                url = merge_query(url, {name: "***" for name in self._auth_params})
        except httpx.InvalidURL:
            pass
        return self._redactor.describe(spec.method, url, _spec_secrets(spec))

    def _carries_credentials(self, url: httpx.URL) -> bool:
        # The first hop of a request to the configured origin (or, without one, any first hop).
        return self._credential_origin is None or _origin(url) == self._credential_origin

    def _redact(self, text: str, spec: RequestSpec | None = None) -> str:
        return self._redactor.redact(text, _spec_secrets(spec) if spec is not None else ())

    def _fault_reason(self, exc: Exception, spec: RequestSpec) -> str:
        return fault_reason(exc, self._timeout, lambda text: self._redact(text, spec))

    def _preview(self, response: httpx.Response, spec: RequestSpec) -> str:
        return body_preview(response.text, lambda text: self._redact(text, spec))

    def _blocked_message(self, exc: BlockedAddressError, request: str | None) -> str:
        message = self._redact(str(exc))
        if request:
            message += f" [{request}]"
        # Only refusals of an address get the hint: a bad scheme or a redirect loop is not fixed by it.
        if not self._guard.allow_private and ("disallowed address" in message or "localhost is blocked" in message):
            message += f"; {PRIVATE_ADDRESS_HINT}"
        return message

    def _pause(self, seconds: float, spec: RequestSpec, reason: str) -> None:
        if logger.isEnabledFor(logging.INFO):
            logger.info("%s: %s", self.describe(spec), reason)
        if self._on_wait is not None:
            self._on_wait(seconds, reason)
        self._clock.sleep(seconds)


def _checked_headers(headers: Mapping[str, Any]) -> httpx.Headers:
    """The client's headers, or a ConfigError naming the one that is not text (httpx versions
    disagree on what they raise for it)."""
    for name, value in headers.items():
        if not isinstance(name, (str, bytes)) or not isinstance(value, (str, bytes)):
            raise ConfigError(f"header {name!r} must be text, not {type(value).__name__}", key="headers")
    return httpx.Headers(headers)


def _spec_secrets(spec: RequestSpec) -> list[str]:
    """Values this request carries under credential-looking names (headers and query params)."""
    found: list[str] = []
    for values in (spec.headers, spec.params):
        for name, value in (values or {}).items():
            if isinstance(value, str) and is_sensitive_name(str(name)):
                found.extend(secret_parts(value))
    return found


def _accept(response_format: str | None) -> dict[str, str]:
    return {"Accept": ACCEPT[response_format]} if response_format in ACCEPT else {}
