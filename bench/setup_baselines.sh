#!/usr/bin/env bash
# Creates the two virtual environments bench/bench_process.py runs its baselines in, apart from
# restsync's own (neither is a restsync dependency, and RAGFlow's `jsonpath` package would shadow
# python-jsonpath's module of the same name):
#   bench/.baselines/ragflow  what RAGFlow's REST API connector imports on its path (versions of
#                             RAGFlow's uv.lock), to run a RAGFlow checkout's connector module
#   bench/.baselines/dlt      dlt from PyPI, for its REST API source
# Usage: bench/setup_baselines.sh [PYTHON]   (default: the interpreter restsync's .venv was made with)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PYTHON="${1:-}"
if [ -z "$PYTHON" ]; then
  # The same interpreter as restsync's venv: interpreter start is part of every figure.
  if [ -x "$ROOT/.venv/bin/python" ]; then
    PYTHON="$("$ROOT/.venv/bin/python" -c 'import sys; print(sys._base_executable)')"
  else
    PYTHON="$(command -v python3.11 || command -v python3)"
  fi
fi
DEST="$HERE/.baselines"
mkdir -p "$DEST"

make_venv() {  # NAME PACKAGES...
  local name="$1"; shift
  if [ ! -x "$DEST/$name/bin/python" ]; then
    "$PYTHON" -m venv "$DEST/$name"
  fi
  "$DEST/$name/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

make_venv ragflow "requests==2.32.5" "pydantic==2.12.5" "xxhash==3.6.0" "jsonpath==0.82.2" "retry==0.9.2" \
  "chardet==5.2.0" "typing-extensions>=4.15"
make_venv dlt "dlt>=1.31,<2"
echo "ragflow python: $DEST/ragflow/bin/python"
echo "dlt python:     $DEST/dlt/bin/python"
