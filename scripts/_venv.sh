# Sourced by demo.sh and test.sh: create .venv with the project's Python once, keep it installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="$(command -v python3.11 || command -v python3)"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the project metadata changed since the last install (re-running is cheap).
STAMP="$VENV/.restsync-installed"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ] || [ ! -x "$VENV/bin/restsync" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[kb,server,test,langchain,llamaindex,mcp,fast,scale]"
  touch "$STAMP"
fi
