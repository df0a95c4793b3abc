"""The preview's page inspector: every HTTP exchange a preview makes, with secrets masked.

A recording transport sits under the connector's guarded transport, so what it sees is what went
on the wire (auth applied, redirects followed hop by hop) and the SSRF guard still checks each hop.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Iterable

import httpx

from restsync.http.limits import DEFAULT_MAX_RESPONSE_MB, MB, ResponseTooLargeError
from restsync.http.redact import MASK, Redactor, is_sensitive_name
from restsync.http.tls import http_transport

MAX_BODY_CHARS = 64 * 1024
MAX_EXCHANGES = 20
MAX_RAW_BYTES = DEFAULT_MAX_RESPONSE_MB * MB  # a preview reads no more than a walk would


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport | None = None):
        self._inner = inner or http_transport()
        self._lock = threading.Lock()
        self.exchanges: list[tuple[httpx.Request, httpx.Response | None, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            self._record(request, None, f"{type(exc).__name__}: {exc}")
            raise
        # The client above streams the body again (size caps, its own gzip/deflate decoding), so
        # it gets a replay of the raw bytes; the record keeps its own copy, decoded for display.
        raw = bytearray()
        try:
            for chunk in response.iter_raw():
                raw.extend(chunk)
                if len(raw) > MAX_RAW_BYTES:
                    raise ResponseTooLargeError(MAX_RAW_BYTES)
        finally:
            response.close()
        replay = httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(bytes(raw)),
                                extensions=response.extensions, request=request)
        record = httpx.Response(response.status_code, headers=response.headers, content=bytes(raw), request=request)
        try:
            record.read()
        except httpx.DecodingError:
            record = httpx.Response(response.status_code, content=bytes(raw), request=request)
        self._record(request, record, None)
        return replay

    def _record(self, request: httpx.Request, response: httpx.Response | None, error: str | None) -> None:
        with self._lock:
            if len(self.exchanges) < MAX_EXCHANGES:
                self.exchanges.append((request, response, error))

    def close(self) -> None:
        self._inner.close()


def masked_exchanges(recorder: RecordingTransport, secrets: Iterable[str]) -> list[dict[str, Any]]:
    """The recorded exchanges as JSON, every secret (by value or by name) masked."""
    redactor = Redactor(secrets)
    records = []
    for page, (request, response, error) in enumerate(recorder.exchanges, start=1):
        records.append({
            "page": page,
            "request": {
                "method": request.method,
                "url": redactor.redact(str(request.url)),
                "headers": _headers(request.headers, redactor),
                "body": _body(request.content, redactor),
            },
            "response": None if response is None else {
                "status": response.status_code,
                "headers": _headers(response.headers, redactor),
                "body": _body(response.content, redactor),
                "elapsed_s": round(response.elapsed.total_seconds(), 3) if _has_elapsed(response) else None,
            },
            "error": None if error is None else redactor.redact(error),
        })
    return records


def _has_elapsed(response: httpx.Response) -> bool:
    try:
        response.elapsed
    except RuntimeError:
        return False
    return True


def _headers(headers: httpx.Headers, redactor: Redactor) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name, value in headers.multi_items():
        masked = MASK if is_sensitive_name(name) or name.lower() == "set-cookie" else redactor.redact(value)
        shown[name] = f"{shown[name]}, {masked}" if name in shown else masked
    return shown


def _body(content: bytes, redactor: Redactor) -> Any:
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return redactor.redact(text[:MAX_BODY_CHARS])
    if len(text) > MAX_BODY_CHARS:
        return redactor.redact(text[:MAX_BODY_CHARS])
    return _mask_json(data, redactor)


def _mask_json(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if isinstance(v, str) and v and is_sensitive_name(str(k)) else _mask_json(v, redactor))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v, redactor) for v in value]
    if isinstance(value, str):
        return redactor.redact(value)
    return value
