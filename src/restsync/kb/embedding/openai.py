"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure, vLLM, Ollama...)."""

from __future__ import annotations

from typing import Any, Sequence

import httpx
import numpy as np

from restsync.clock import Clock, SystemClock
from restsync.errors import (
    AuthError,
    ClientRequestError,
    ConfigError,
    InvalidResponseError,
    RateLimitExhaustedError,
    RetriesExhaustedError,
)
from restsync.kb.embedding.base import normalise_rows


class OpenAIEmbedder:
    """POSTs `{"model", "input": [...]}` in batches; `url` is the API base or the full
    `/embeddings` URL. Retries 429/5xx/connection errors with backoff on the injected clock."""

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        *,
        batch_size: int = 128,
        timeout: float = 60.0,
        max_retries: int = 4,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"{url!r} is not an http(s) URL", key="embedding_url")
        if not model:
            raise ConfigError("an OpenAI-compatible embedder needs a model name", key="embedder")
        self.url = url if url.rstrip("/").endswith("/embeddings") else url.rstrip("/") + "/embeddings"
        self.model = model
        self.name = f"openai:{model}"
        self.batch_size = batch_size
        self.max_retries = max_retries
        self._clock = clock or SystemClock()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        batches = [self._embed_batch(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        if not batches:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise_rows(np.vstack(batches))

    def close(self) -> None:
        self._client.close()

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        body = self._post({"model": self.model, "input": texts})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or len(data) != len(texts):
            raise InvalidResponseError(
                f"expected {len(texts)} embeddings in 'data'", request=self._described(), status=200
            )
        try:
            ordered = sorted(data, key=lambda item: item.get("index", 0))
            return np.asarray([item["embedding"] for item in ordered], dtype=np.float32)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidResponseError(f"malformed embedding in 'data': {exc}", request=self._described()) from exc

    def _post(self, payload: dict[str, Any]) -> Any:
        delay = 1.0
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self._client.post(self.url, json=payload)
            except httpx.HTTPError as exc:
                if last:
                    raise RetriesExhaustedError(f"connection failed: {exc}", request=self._described()) from exc
                self._clock.sleep(delay)
                delay *= 2
                continue
            status = response.status_code
            if status in (401, 403):
                raise AuthError("the embeddings endpoint refused the API key", request=self._described(), status=status)
            if status == 429 or status >= 500:
                if last:
                    error = RateLimitExhaustedError if status == 429 else RetriesExhaustedError
                    raise error(f"HTTP {status} after {attempt + 1} tries", request=self._described(), status=status)
                self._clock.sleep(_retry_after(response) or delay)
                delay *= 2
                continue
            if status >= 400:
                raise ClientRequestError(f"HTTP {status}: {response.text[:200]}", request=self._described(), status=status)
            try:
                return response.json()
            except ValueError as exc:
                raise InvalidResponseError("body is not JSON", request=self._described(), status=status) from exc
        raise AssertionError("unreachable")

    def _described(self) -> str:
        return f"POST {self.url}"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
