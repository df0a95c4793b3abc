#!/usr/bin/env bash
# The offline demo: the CLI tour (check, preview, fetch, sync, search against a local help-centre
# API), then the server with that API registered as a source of a 'demo' knowledge base.
# RESTSYNC_DEMO_TOUR=0 skips the tour; extra arguments go to `restsync serve`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
if [ "${RESTSYNC_DEMO_TOUR:-1}" != "0" ]; then
  "$VENV/bin/restsync" demo
  echo
fi
echo "== the server: open the URL below and log in with the demo token"
exec "$VENV/bin/restsync" serve --demo --data-dir ./demo-out/server "$@"
