"""Authentication: one small `httpx.Auth` class per `auth_type`, built by `build_auth`.

Each class also tells the HTTP client what to hide and what to strip: `secret_values()` for
redaction in messages, `header_names` / `query_param_names` for removal on cross-origin
redirects. OAuth2 client credentials is a generator flow (as httpx's own auth classes are):
it yields the token request through the same client (so the SSRF guard applies), caches the
token, refreshes it before expiry and once on a 401.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from typing import Any, Callable, Generator, Mapping

import httpx

from restsync.clock import Clock, SystemClock
from restsync.errors import AuthError, ConfigError, CredentialError, InvalidResponseError, RetriesExhaustedError

DEFAULT_API_KEY_HEADER = "X-API-Key"
DEFAULT_API_KEY_PARAM = "api_key"
TOKEN_REFRESH_MARGIN_S = 60.0
# Safety net only: a fetch in another thread always ends (request timeout), releasing waiters.
TOKEN_WAIT_LIMIT_S = 120.0
ISSUED_TOKENS_KEPT = 64  # a token lives minutes at least: a run issues few


class TokenEndpointUnavailable(RetriesExhaustedError):
    """The token endpoint failed transiently (5xx, 429); the client retries like any 5xx."""


class CredentialAuth(httpx.Auth):
    """Base: what the client needs to know to redact and strip this scheme's credentials."""

    header_names: tuple[str, ...] = ()
    query_param_names: tuple[str, ...] = ()

    def secret_values(self) -> tuple[str, ...]:
        return ()


class ApiKeyHeaderAuth(CredentialAuth):
    def __init__(self, api_key: str, header_name: str = DEFAULT_API_KEY_HEADER):
        self.header_name = header_name
        self.api_key = api_key
        self.header_names = (header_name,)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.header_name] = self.api_key
        yield request

    def secret_values(self) -> tuple[str, ...]:
        return (self.api_key,)


class ApiKeyQueryAuth(CredentialAuth):
    def __init__(self, api_key: str, param_name: str = DEFAULT_API_KEY_PARAM):
        self.param_name = param_name
        self.api_key = api_key
        self.query_param_names = (param_name,)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from restsync.http.request import merge_query  # restsync.http imports this module

        # Last in the merge order; the rest of the query keeps its bytes (signed next links).
        request.url = httpx.URL(merge_query(str(request.url), {self.param_name: self.api_key}))
        yield request

    def secret_values(self) -> tuple[str, ...]:
        return (self.api_key,)


class BearerAuth(CredentialAuth):
    header_names = ("Authorization",)

    def __init__(self, token: str):
        self.token = token
        self._header_value = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header_value
        yield request

    def secret_values(self) -> tuple[str, ...]:
        return (self.token,)


class BasicAuth(CredentialAuth):
    header_names = ("Authorization",)

    def __init__(self, username: str, password: str = ""):
        self.username = username
        self.password = password
        encoded = base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")
        self._header_value = f"Basic {encoded}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header_value
        yield request

    def secret_values(self) -> tuple[str, ...]:
        encoded = self._header_value.split(" ", 1)[1]
        # With an empty password the user name is the secret (Stripe-style keys).
        return tuple(s for s in (self.password or self.username, encoded) if s)


class OAuth2ClientCredentialsAuth(CredentialAuth):
    """RFC 6749 client-credentials grant; thread-safe, one token fetch at a time."""

    header_names = ("Authorization",)
    requires_response_body = True

    def __init__(self, token_url: str, client_id: str, client_secret: str, *, scope: str | None = None,
                 audience: str | None = None, clock: Clock | None = None):
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.audience = audience
        self._clock = clock or SystemClock()
        self._token: str | None = None
        self._expires_at: float | None = None  # wall clock; None: valid until a 401
        self._lifetime: float | None = None  # seconds the last token was granted for
        self._fetching = False
        self._state = threading.Condition()
        self.tokens_fetched = 0
        # Every token issued in this run, not just the current one: a response fetched with the
        # previous token may be mapped after a refresh, and must still have it masked.
        self._issued: deque[str] = deque(maxlen=ISSUED_TOKENS_KEPT)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._fresh_token()
        if token is None:
            token = yield from self._fetch_token(stale=None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            # The server may have revoked the token early: refresh once, then let 401 stand.
            token = yield from self._fetch_token(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def secret_values(self) -> tuple[str, ...]:
        with self._state:
            return tuple(s for s in (self.client_secret, *self._issued) if s)

    def _fresh_token(self) -> str | None:
        with self._state:
            return self._token if self._token_is_fresh() else None

    def _token_is_fresh(self) -> bool:
        if self._token is None:
            return False
        # A token that lives a minute or less is refreshed halfway, not on every request.
        margin = min(TOKEN_REFRESH_MARGIN_S, self._lifetime / 2) if self._lifetime else TOKEN_REFRESH_MARGIN_S
        return self._expires_at is None or self._clock.time() < self._expires_at - margin

    def _fetch_token(self, stale: str | None) -> Generator[httpx.Request, httpx.Response, str]:
        with self._state:
            self._state.wait_for(lambda: not self._fetching, timeout=TOKEN_WAIT_LIMIT_S)
            # Another thread may have refreshed while we waited: use its token.
            if self._token_is_fresh() and self._token != stale:
                return self._token  # type: ignore[return-value]
            self._fetching = True
        try:
            response = yield self._token_request()
            token, expires_in = self._read_token_response(response)
            with self._state:
                self._token = token
                self._issued.append(token)
                self._expires_at = self._clock.time() + expires_in if expires_in is not None else None
                self._lifetime = float(expires_in) if expires_in is not None else None
                self.tokens_fetched += 1
            return token
        finally:
            with self._state:
                self._fetching = False
                self._state.notify_all()

    def _token_request(self) -> httpx.Request:
        form = {"grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret}
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        return httpx.Request("POST", self.token_url, data=form, headers={"Accept": "application/json"})

    def _read_token_response(self, response: httpx.Response) -> tuple[str, float | None]:
        described = f"POST {self.token_url}"
        status = response.status_code
        if status == 429 or status >= 500:
            raise TokenEndpointUnavailable(f"token endpoint answered HTTP {status}", request=described, status=status)
        if not 200 <= status < 300:
            raise AuthError(f"authentication failed with status {status} at the token endpoint",
                            request=described, status=status)
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise InvalidResponseError("token response is not valid JSON", request=described) from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token or not isinstance(token, str):
            raise AuthError("token response has no 'access_token'", request=described, status=status)
        expires_in = body.get("expires_in")
        try:
            return token, float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            return token, None


def _missing(auth_type: str, name: str, where: str = "credentials") -> CredentialError:
    # RAGFlow's exact wording, so existing UIs and docs keep matching; `key` still names the field.
    error = CredentialError(f"REST API ({auth_type}) requires '{name}' in {where}")
    error.key = f"{where}.{name}"
    return error


def _first(*sources: tuple[Mapping[str, Any], str]) -> str | None:
    """The first non-empty value among (mapping, key) pairs, as a string."""
    for mapping, key in sources:
        value = mapping.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def _api_key(kind: str, config: Mapping[str, Any], creds: Mapping[str, Any]) -> str:
    key = _first((creds, "api_key"), (config, "api_key"), (config, "api_key_value"))
    if key is None:
        raise _missing(kind, "api_key")
    return key


def _api_key_header(config: Mapping[str, Any], creds: Mapping[str, Any], clock: Clock | None) -> CredentialAuth:
    key = _api_key("api_key_header", config, creds)
    return ApiKeyHeaderAuth(key, str(config.get("header_name") or DEFAULT_API_KEY_HEADER))


def _api_key_query(config: Mapping[str, Any], creds: Mapping[str, Any], clock: Clock | None) -> CredentialAuth:
    key = _api_key("api_key_query", config, creds)
    return ApiKeyQueryAuth(key, str(config.get("param_name") or DEFAULT_API_KEY_PARAM))


def _bearer(config: Mapping[str, Any], creds: Mapping[str, Any], clock: Clock | None) -> CredentialAuth:
    token = _first((creds, "token"), (config, "token"))
    if token is None:
        raise _missing("bearer", "token")
    return BearerAuth(token)


def _basic(config: Mapping[str, Any], creds: Mapping[str, Any], clock: Clock | None) -> CredentialAuth:
    username = _first((creds, "username"), (config, "username"))
    if username is None:
        raise _missing("basic", "username")
    # An empty password is legitimate (Stripe-style secret keys go in the user name).
    password = _first((creds, "password"), (config, "password")) or ""
    return BasicAuth(username, password)


def _oauth2_client_credentials(config: Mapping[str, Any], creds: Mapping[str, Any],
                               clock: Clock | None) -> CredentialAuth:
    kind = "oauth2_client_credentials"
    token_url = _first((config, "token_url"))
    if token_url is None:
        raise _missing(kind, "token_url", where="auth_config")
    client_id = _first((creds, "client_id"), (config, "client_id"))
    if client_id is None:
        raise _missing(kind, "client_id", where="auth_config")
    client_secret = _first((creds, "client_secret"), (config, "client_secret"))
    if client_secret is None:
        raise _missing(kind, "client_secret")
    return OAuth2ClientCredentialsAuth(token_url, client_id, client_secret, scope=_first((config, "scope")),
                                       audience=_first((config, "audience")), clock=clock)


AuthBuilder = Callable[[Mapping[str, Any], Mapping[str, Any], Clock | None], CredentialAuth | None]

# auth_type -> builder (auth_config, credentials, clock); the one list of auth types
# (restsync.config.vocabulary reads it).
AUTH_BUILDERS: dict[str, AuthBuilder] = {
    "none": lambda config, creds, clock: None,
    "api_key_header": _api_key_header,
    "api_key_query": _api_key_query,
    "bearer": _bearer,
    "basic": _basic,
    "oauth2_client_credentials": _oauth2_client_credentials,
}
AUTH_TYPES = tuple(AUTH_BUILDERS)


def build_auth(auth_type: str | None, auth_config: Mapping[str, Any] | None,
               credentials: Mapping[str, Any] | None, *, clock: Clock | None = None) -> CredentialAuth | None:
    """The auth object for a source config, or None for `none`; raises CredentialError if a secret is missing."""
    builder = AUTH_BUILDERS.get((auth_type or "none").strip().lower())
    if builder is None:
        raise ConfigError(f"Unsupported auth_type '{auth_type}'.", key="auth_type")
    return builder(auth_config or {}, credentials or {}, clock)
