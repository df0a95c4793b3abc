#!/usr/bin/env bash
# Run the request-building tests again under the lowest httpx that pyproject.toml allows, in a
# throwaway environment (./scripts/test.sh runs everything on the newest one). restsync builds
# request URLs itself; this keeps "works across the allowed httpx range" a tested claim.
# Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="$(command -v python3.11 || command -v python3)"
LOWEST="$("$PYTHON" - "$ROOT/pyproject.toml" <<'PY'
import re, sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
spec = next(d for d in deps if re.match(r"httpx\b", d))
print(re.search(r">=\s*([0-9][0-9.]*)", spec).group(1))
PY
)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$ROOT[test]" "httpx==$LOWEST"
echo "httpx $("$WORK/venv/bin/python" -c 'import httpx; print(httpx.__version__)') (lowest allowed)"
cd "$ROOT"
# Tests import the copy installed in the throwaway environment; no pytest cache is written here.
exec "$WORK/venv/bin/python" -m pytest -p no:cacheprovider \
  tests/http/test_url_query_merge.py tests/http/test_url_compose.py tests/http/test_auth.py \
  tests/http/test_http_*.py tests/pagination/ tests/connector/test_connector_walk.py \
  tests/connector/test_compat_connector.py tests/connector/test_shapes_*.py tests/suggest/test_suggest.py \
  tests/connector/test_diagnostics.py "$@"
