"""all-MiniLM-L6-v2 on ONNX Runtime: the same model, weights and vectors as the torch
embedder (`local.py`), without torch at run time, and faster on a CPU.

The ONNX graph is built in memory from the bundled safetensors at first use (see
`bert_graph.py`); nothing is downloaded and nothing is written to disk. Tokenization uses the
model's own `tokenizer.json` with sentence-transformers' settings: truncation at 256 tokens,
each batch padded to its longest text.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from restsync.errors import ConfigError
from restsync.kb.embedding.base import normalise_rows
from restsync.kb.embedding.local import MODEL_NAME
from restsync.kb.embedding.local import _bundled_model_dir as bundled_model_dir

MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
DIMENSION = 384
_SMALL_BATCH = 8


class OnnxEmbedder:
    backend = "onnx"

    def __init__(self, *, batch_size: int = 64, model_dir: str | Path | None = None, threads: int | None = None):
        self.name = MODEL_NAME
        self.batch_size = batch_size
        self._model_dir = Path(model_dir) if model_dir else None
        self._threads = threads
        self._session: Any = None
        self._small_session: Any = None
        self._tokenizer: Any = None
        self._spans_tokenizer: Any = None
        self._lock = threading.Lock()

    def _directory(self) -> Path:
        return self._model_dir or bundled_model_dir()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime
            except ImportError as exc:
                raise ConfigError(
                    "the ONNX embedding backend is not installed: pip install 'restsync[kb-onnx]'", key="embedder"
                ) from exc
            from tokenizers import Tokenizer

            from restsync.kb.embedding.bert_graph import build_bert_graph

            directory = self._directory()
            self._session = _session(onnxruntime, build_bert_graph(directory), self._threads)
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.no_padding()  # padded per batch below, to that batch's longest text
            self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        self._load()
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        # Longest first, as sentence-transformers does: batches of similar lengths pad little.
        order = np.argsort(-lengths, kind="stable")
        session = self._session_for_small() if len(texts) <= _SMALL_BATCH else self._session
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for slot, row in enumerate(rows):
                encoding = encodings[row]
                ids[slot, : lengths[row]] = encoding.ids
                mask[slot, : lengths[row]] = 1
            (pooled,) = session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
            out[rows] = pooled
        return normalise_rows(out)

    def _session_for_small(self) -> Any:
        """A query or two runs on one thread: intra-op threads cannot speed up so little work,
        and on shared cores waking them costs more than the work itself."""
        with self._lock:
            if self._small_session is None:
                import onnxruntime

                from restsync.kb.embedding.bert_graph import build_bert_graph

                self._small_session = _session(onnxruntime, build_bert_graph(self._directory()), 1)
            return self._small_session

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the model's WordPiece tokens, untruncated (chunks are sized with them)."""
        if self._spans_tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._directory() / "tokenizer.json"))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            self._spans_tokenizer = tokenizer
        encoding = self._spans_tokenizer.encode(text, add_special_tokens=False)
        return [span for span in encoding.offsets if span[1] > span[0]]


def _session(onnxruntime: Any, graph: bytes, threads: int | None) -> Any:
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or 0  # 0: one per physical core
    options.inter_op_num_threads = 1
    # Idle worker threads sleep instead of spinning: cores here are shared with the fetching,
    # chunking and storing threads of a sync.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(graph, sess_options=options, providers=["CPUExecutionProvider"])

