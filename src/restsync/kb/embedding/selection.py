"""Which runtime computes all-MiniLM-L6-v2: ONNX Runtime on a CPU, torch on a GPU.

Both give the same vectors (cosine >= 0.999, tested), so the choice is a matter of speed and
never changes a knowledge base: its embedder name stays `all-MiniLM-L6-v2` either way.
Deciding costs no torch import on a machine without an NVIDIA driver.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path

from restsync.errors import ConfigError

BACKEND_ENV = "RESTSYNC_EMBEDDING_BACKEND"
BACKENDS = ("auto", "onnx", "torch")
_NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")


def choose_backend(requested: str | None = None) -> str:
    """`onnx` or `torch`: the one asked for (argument, else RESTSYNC_EMBEDDING_BACKEND), or with
    `auto`, torch when it can use a CUDA GPU, else ONNX Runtime when installed, else torch."""
    choice = (requested or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if choice not in BACKENDS:
        raise ConfigError(f"unknown embedding backend {choice!r}; use one of {', '.join(BACKENDS)}", key=BACKEND_ENV)
    if choice != "auto":
        return choice
    if _cuda_usable():
        return "torch"
    return "onnx" if _onnx_installed() else "torch"


def _onnx_installed() -> bool:
    return find_spec("onnxruntime") is not None


def _cuda_usable() -> bool:
    if not _NVIDIA_DRIVER.exists() or find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())
