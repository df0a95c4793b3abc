#!/usr/bin/env bash
# Run the offline demo: a local help-centre API, then check, preview and fetch against it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
exec "$VENV/bin/restsync" demo "$@"
