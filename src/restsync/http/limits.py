"""Response bodies read in bounded pieces: a size cap on the bytes received and on the bytes
they inflate to, and the request deadline checked between pieces.

`LimitedTransport` sits at the transport seam, so every body the client reads (API pages,
redirect and error bodies, OAuth2 token responses) passes through it. It decodes gzip and
deflate itself, in pieces of at most `_PIECE` bytes, so a small compressed "bomb" is refused
after the first `max_bytes` of output instead of being inflated whole into memory.
"""

from __future__ import annotations

import zlib
from typing import Iterator

import httpx

from restsync.http.deadline import deadline_passed

DEFAULT_MAX_RESPONSE_MB = 64
MB = 1024 * 1024
ACCEPT_ENCODING = "gzip, deflate"  # the encodings decoded here, in bounded pieces
_PIECE = 64 * 1024


class ResponseTooLargeError(Exception):
    """The body (as received, or once decoded) is larger than the configured cap."""

    def __init__(self, limit_bytes: int):
        self.limit_bytes = limit_bytes
        super().__init__(f"response over {format_mb(limit_bytes)}")


class UnsupportedEncodingError(Exception):
    """The server compressed the body with an encoding restsync did not ask for."""


def format_mb(size_bytes: int) -> str:
    mb = size_bytes / MB
    return f"{mb:g} MB" if mb >= 1 else f"{size_bytes} bytes"


class LimitedTransport(httpx.BaseTransport):
    """Wraps a transport: each response body is streamed through size caps and the deadline."""

    def __init__(self, inner: httpx.BaseTransport, max_bytes: int):
        self._inner = inner
        self.max_bytes = max_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise ResponseTooLargeError(self.max_bytes)
        encodings = [e.strip().lower() for e in response.headers.get_list("content-encoding", split_commas=True)]
        encodings = [e for e in encodings if e and e != "identity"]
        unsupported = [e for e in encodings if e not in ("gzip", "x-gzip", "deflate")]
        if unsupported:
            response.close()
            raise UnsupportedEncodingError(
                f"response uses Content-Encoding {', '.join(unsupported)!s}, which restsync does not decode "
                f"(it asks for {ACCEPT_ENCODING})")
        headers = response.headers
        if encodings:  # decoded here: httpx must not decode again
            headers = httpx.Headers([(k, v) for k, v in headers.multi_items()
                                     if k.lower() not in ("content-encoding", "content-length")])
        stream = LimitedBody(response.stream, self.max_bytes, encodings)  # type: ignore[arg-type]
        return httpx.Response(response.status_code, headers=headers, stream=stream,
                              extensions=response.extensions, request=request)

    def close(self) -> None:
        self._inner.close()


class LimitedBody(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, max_bytes: int, encodings: list[str]):
        self._inner = inner
        self._max = max_bytes
        # Content-Encoding lists codings in the order applied: undo them last first.
        self._decoders = [_Decoder(name) for name in reversed(encodings)]

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        produced = 0
        for chunk in self._inner:
            if deadline_passed():
                raise httpx.ReadTimeout("the request's deadline passed while the body was arriving")
            received += len(chunk)
            if received > self._max:
                raise ResponseTooLargeError(self._max)
            for piece in self._decode(chunk):
                produced += len(piece)
                if produced > self._max:
                    raise ResponseTooLargeError(self._max)
                yield piece
        for piece in self._flush():
            produced += len(piece)
            if produced > self._max:
                raise ResponseTooLargeError(self._max)
            yield piece

    def _decode(self, chunk: bytes) -> Iterator[bytes]:
        pieces: Iterator[bytes] = iter((chunk,))
        for decoder in self._decoders:
            pieces = decoder.feed_all(pieces)
        return pieces

    def _flush(self) -> Iterator[bytes]:
        # Each decoder's remainder still passes through the decoders after it.
        pieces: Iterator[bytes] = iter(())
        for decoder in self._decoders:
            pieces = decoder.finish_after(pieces)
        return pieces

    def close(self) -> None:
        self._inner.close()


class _Decoder:
    """gzip or deflate, inflated at most `_PIECE` bytes at a time."""

    def __init__(self, name: str):
        self._deflate = name == "deflate"
        # deflate is zlib-wrapped by the standard but raw in the wild; try wrapped first.
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16)
        self._started = False

    def feed_all(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            yield from self._feed(chunk)

    def finish_after(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        yield from self.feed_all(chunks)
        try:
            tail = self._zlib.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"cannot decode the compressed body: {exc}") from None
        if tail:
            yield tail

    def _feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        try:
            if self._deflate and not self._started:
                self._started = True
                try:
                    out = self._zlib.decompress(data, _PIECE)
                except zlib.error:
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    out = self._zlib.decompress(data, _PIECE)
            else:
                out = self._zlib.decompress(data, _PIECE)
            if out:
                yield out
            while self._zlib.unconsumed_tail:
                out = self._zlib.decompress(self._zlib.unconsumed_tail, _PIECE)
                if out:
                    yield out
        except zlib.error as exc:
            raise httpx.DecodingError(f"cannot decode the compressed body: {exc}") from None
