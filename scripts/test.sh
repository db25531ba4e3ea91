#!/usr/bin/env bash
# The test command (README): the whole suite, against SQLite and PostgreSQL.
#
# PostgreSQL: uses RELAY_TEST_POSTGRES_URL when set; otherwise starts a throwaway server on
# loopback with scripts/pg-start.sh (Debian's postgresql package; installed if missing and root)
# and stops it at the end, unless it was already running.
# With RELAY_TEST_REQUIRE_POSTGRES=1 (CI), a missing PostgreSQL fails the run instead of skipping
# the PostgreSQL half of the store suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=55432
if [ -z "${RELAY_TEST_POSTGRES_URL:-}" ]; then
  # A server this run starts is stopped when it ends (its data dir is kept for the next run);
  # one that was already listening is left as it was.
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
    trap 'scripts/pg-stop.sh "$PG_PORT" || true' EXIT
  fi
  if url="$(RELAY_PG_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" scripts/pg-start.sh "$PG_PORT")"; then
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
