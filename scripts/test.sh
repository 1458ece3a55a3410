#!/usr/bin/env bash
# The whole test suite: provision components, install the dev environment, lint, then
# pytest twice: the embedded mode, and the scaled mode (Redis broker and channel layer)
# for everything that touches jobs and streaming.
# SWARMDECK_REQUIRE_COMPONENTS=1 (set by .ci/run) turns every missing-component skip into
# a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/provision-test-host.sh || exit 1
scripts/ensure-venv.sh dev || exit 1

echo "== ruff"
.venv/bin/ruff check . || exit 1

echo "== pytest, embedded mode (SQLite, ORM broker, in-memory channel layer)"
.venv/bin/python -m pytest "$@"
embedded=$?

echo "== pytest, scaled mode (REDIS_URL: django-q2 Redis broker, channels-redis)"
scripts/with_redis.py .venv/bin/python -m pytest \
  tests/test_settings_env.py tests/test_job_runner.py tests/test_job_stream.py \
  tests/test_worker_lost.py tests/test_system_check.py tests/test_browser_jobs.py
scaled=$?

if [ $embedded -ne 0 ] || [ $scaled -ne 0 ]; then
  echo "FAILED: embedded mode exit $embedded, scaled mode exit $scaled"
  exit 1
fi
