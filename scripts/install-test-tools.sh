#!/usr/bin/env bash
# Tools the test suite needs beyond the Python venv: Debian's Chromium (real-browser
# widget tests) and the npm packages of js/ (bundle build and JS unit tests).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium > /dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
  else
    echo "chromium is missing and we are not root: browser tests will be skipped" >&2
  fi
fi
if [ -f js/package.json ] && [ ! -d js/node_modules ]; then
  if [ -f js/package-lock.json ]; then
    (cd js && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd js && npm install --no-audit --no-fund --loglevel=error)
  fi
fi
