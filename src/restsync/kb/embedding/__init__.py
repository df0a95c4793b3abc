"""Embedders: the local sentence-embedding model (default; ONNX Runtime on a CPU, torch on a
GPU), an OpenAI-compatible endpoint, and a hashing embedder for tests."""

from __future__ import annotations

import os

from restsync.errors import ConfigError
from restsync.kb.embedding.base import Embedder, normalise_rows, token_spans_of
from restsync.kb.embedding.hashing import HashingEmbedder
from restsync.kb.embedding.local import MODEL_NAME, LocalEmbedder
from restsync.kb.embedding.onnx_local import OnnxEmbedder
from restsync.kb.embedding.openai import OpenAIEmbedder
from restsync.kb.embedding.selection import BACKEND_ENV, choose_backend

API_KEY_ENV = "RESTSYNC_EMBEDDING_API_KEY"

__all__ = [
    "Embedder",
    "HashingEmbedder",
    "LocalEmbedder",
    "OnnxEmbedder",
    "OpenAIEmbedder",
    "build_embedder",
    "choose_backend",
    "normalise_rows",
    "token_spans_of",
]


def build_embedder(
    name: str, *, url: str | None = None, api_key: str | None = None, allow_private: bool = False,
    backend: str | None = None,
) -> Embedder:
    """`all-MiniLM-L6-v2`, `openai:<model>` (needs url; key from argument or
    RESTSYNC_EMBEDDING_API_KEY; a private or loopback url needs allow_private), or `hashing-<dimension>`.
    `backend` (`auto`, `onnx`, `torch`; default: RESTSYNC_EMBEDDING_BACKEND, else auto) picks the
    local model's runtime."""
    if name == MODEL_NAME:
        return OnnxEmbedder() if choose_backend(backend) == "onnx" else LocalEmbedder()
    if name.startswith("openai:"):
        if not url:
            raise ConfigError(f"embedder {name!r} needs an endpoint URL", key="embedding_url")
        return OpenAIEmbedder(url, name.split(":", 1)[1], api_key or os.environ.get(API_KEY_ENV),
                              allow_private=allow_private)
    if name.startswith("hashing-") and name.removeprefix("hashing-").isdigit():
        return HashingEmbedder(int(name.removeprefix("hashing-")))
    raise ConfigError(f"unknown embedder {name!r}; use {MODEL_NAME!r} or 'openai:<model>'", key="embedder")
