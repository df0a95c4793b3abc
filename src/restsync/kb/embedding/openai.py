"""Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure, vLLM, Ollama...).

Requests go through the connector's HTTP client (`restsync.http`), so the endpoint gets the
same SSRF guard (loopback and private addresses refused unless allowed), no proxy settings
read from the environment, retries, deadlines, size caps and secret redaction as any API.
"""

from __future__ import annotations

from typing import Any, Sequence

import httpx
import numpy as np

from restsync.clock import Clock
from restsync.config.endpoint import check_url
from restsync.errors import ConfigError, InvalidResponseError
from restsync.http import HttpClient, RequestSpec, RetryPolicy
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
        allow_private: bool = False,
        resolver: Any = None,
    ):
        check_url(url, "embedding_url")
        if not model:
            raise ConfigError("an OpenAI-compatible embedder needs a model name", key="embedder")
        self.url = url if url.rstrip("/").endswith("/embeddings") else url.rstrip("/") + "/embeddings"
        self.model = model
        self.name = f"openai:{model}"
        self.batch_size = batch_size
        self.max_retries = max_retries
        retry = RetryPolicy(max_attempts=max_retries + 1, max_rate_limit_waits=max_retries + 1,
                            backoff_base=1.0, jitter=0.0)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._client = HttpClient(timeout=timeout, headers=headers, allow_private=allow_private, resolver=resolver,
                                  clock=clock, retry=retry, transport=transport,
                                  secrets=[api_key] if api_key else (), credential_origin=self.url)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        batches = [self._embed_batch(list(texts[i : i + self.batch_size])) for i in range(0, len(texts), self.batch_size)]
        if not batches:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise_rows(np.vstack(batches))

    def close(self) -> None:
        self._client.close()

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        body = self._client.send(RequestSpec("POST", self.url, json={"model": self.model, "input": texts})).data
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

    def _described(self) -> str:
        return f"POST {self.url}"
