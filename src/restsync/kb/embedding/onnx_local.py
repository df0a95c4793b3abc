"""all-MiniLM-L6-v2 on ONNX Runtime: the same model, weights and vectors as the torch
embedder (`local.py`), without torch at run time, and faster on a CPU.

The ONNX graph is built in memory from the bundled safetensors at first use (see
`bert_graph.py`); nothing is downloaded and nothing is written to disk. Tokenization uses the
model's own `tokenizer.json` with sentence-transformers' settings: truncation at 256 tokens,
each batch padded to its longest text.

Batches are sized in tokens, not texts: texts sorted longest first are cut into batches of at
most `batch_tokens` tokens (rows x the batch's width) and `batch_size` texts. On a CPU a batch
of 64 texts of 200 tokens costs more per token than a few texts do (its activations no longer
fit the caches), and pads every short text of it to the longest; 2,048-token batches took 20 to
30% less CPU time for the same vectors (docs/benchmarks.md, "Embedders").
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
DEFAULT_BATCH_TOKENS = 2048  # rows x padded width of one model call


class OnnxEmbedder:
    backend = "onnx"

    def __init__(self, *, batch_size: int = 64, batch_tokens: int = DEFAULT_BATCH_TOKENS,
                 model_dir: str | Path | None = None, threads: int | None = None):
        if batch_size < 1 or batch_tokens < 1:
            raise ValueError("batch_size and batch_tokens must be positive")
        self.name = MODEL_NAME
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
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
        for rows in token_batches(order, lengths, self.batch_size, self.batch_tokens):
            width = int(lengths[rows[0]])  # the longest of the batch: rows are sorted
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


def token_batches(order: np.ndarray, lengths: np.ndarray, max_rows: int, max_tokens: int) -> list[np.ndarray]:
    """`order` (row numbers, longest text first) cut into consecutive batches of at most
    `max_rows` rows and `max_tokens` padded tokens (rows x the first row's length); one row at least."""
    batches = []
    start = 0
    while start < len(order):
        width = max(int(lengths[order[start]]), 1)
        count = max(1, min(max_rows, max_tokens // width))
        batches.append(order[start : start + count])
        start += count
    return batches


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

