#!/usr/bin/env bash
# Run the test suite (extra arguments go to pytest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
# The browser tests drive Debian's Chromium: install it once where this script may (root with apt).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
   && [ -z "${RESTSYNC_NO_BROWSER_INSTALL:-}" ]; then
  echo "test.sh: installing chromium for the browser tests (apt-get)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } >/dev/null \
    || echo "test.sh: chromium could not be installed; the browser tests will be skipped" >&2
fi
exec "$VENV/bin/python" -m pytest "$@"
