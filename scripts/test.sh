#!/usr/bin/env bash
# The test command (README): the whole suite, against SQLite and PostgreSQL.
#
# PostgreSQL: uses RELAY_TEST_POSTGRES_URL when set; otherwise starts a throwaway server on
# loopback with scripts/pg-start.sh (Debian's postgresql package; installed if missing and root).
# With RELAY_TEST_REQUIRE_POSTGRES=1 (CI), a missing PostgreSQL fails the run instead of skipping
# the PostgreSQL half of the store suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${RELAY_TEST_POSTGRES_URL:-}" ]; then
  if url="$(RELAY_PG_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" scripts/pg-start.sh 55432)"; then
    export RELAY_TEST_POSTGRES_URL="$url"
  elif [ "${RELAY_TEST_REQUIRE_POSTGRES:-0}" = 1 ]; then
    echo "test.sh: PostgreSQL is required (RELAY_TEST_REQUIRE_POSTGRES=1) but could not be started" >&2
    exit 1
  else
    echo "test.sh: PostgreSQL unavailable; its tests will be skipped" >&2
  fi
fi

# The crash and replica tests run the real binary; build it once, with the tests.
cargo test --locked "$@"
