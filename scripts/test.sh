#!/usr/bin/env bash
# The whole test suite: provision components, install the dev environment, lint, test.
# SWARMDECK_REQUIRE_COMPONENTS=1 (set by .ci/run) turns every missing-component skip into
# a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/provision-test-host.sh
scripts/ensure-venv.sh dev

echo "== ruff"
.venv/bin/ruff check .
echo "== pytest (embedded mode: SQLite, ORM broker, in-memory channel layer)"
.venv/bin/python -m pytest "$@"
