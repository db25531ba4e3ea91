#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the store tests and prints the URL to use.
#
#   scripts/pg-start.sh [PORT] [DATA_DIR]      (defaults: 55432, /tmp/relay-pg-PORT)
#   export RELAY_TEST_POSTGRES_URL=$(scripts/pg-start.sh 55432)
#
# Idempotent: an initialised data dir is reused and a running server is left running. The server
# refuses to run as root, so as root it runs as the `postgres` OS user (created if missing).
# Only the URL goes to stdout; progress and errors go to stderr. Durability settings stay at
# PostgreSQL's defaults (fsync, synchronous_commit on). Extra server settings can be
# passed as `-c name=value` words in RELAY_PG_OPTS (e.g. "-c fsync=off" for faster test runs).
set -euo pipefail

PORT="${1:-55432}"
DATA="${2:-/tmp/relay-pg-$PORT}"
DB_USER=relay
DB_PASS=relay
DB_NAME=relay

log() { echo "pg-start: $*" >&2; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  return 1
}

BIN="$(find_bindir || true)"
if [ -z "$BIN" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "PostgreSQL not found; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN="$(find_bindir)"
  else
    log "PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin and PATH)"
    exit 1
  fi
fi

# The OS user that owns and runs the cluster.
if [ "$(id -u)" = 0 ]; then
  RUN_AS=postgres
  if ! id "$RUN_AS" >/dev/null 2>&1; then
    log "creating OS user $RUN_AS"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$RUN_AS"
  fi
  as_owner() { runuser -u "$RUN_AS" -- "$@"; }
else
  RUN_AS="$(id -un)"
  as_owner() { "$@"; }
fi

mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown "$RUN_AS" "$DATA"
chmod 700 "$DATA"

if [ ! -f "$DATA/PG_VERSION" ]; then
  log "initialising $DATA"
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$DATA.initdb.log" 2>&1 \
    || as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust \
         --auth-host=scram-sha-256 -E UTF8 --locale=C >"$DATA.initdb.log" 2>&1 \
    || { cat "$DATA.initdb.log" >&2; exit 1; }
fi

if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "already running ($DATA)"
else
  log "starting on 127.0.0.1:$PORT ($DATA)"
  # shellcheck disable=SC2086 # RELAY_PG_OPTS is a list of words on purpose
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DATA -c max_connections=300 -c shared_buffers=256MB -c max_wal_size=2GB ${RELAY_PG_OPTS:-}" >&2 \
    || { tail -n 30 "$DATA/server.log" >&2 || true; exit 1; }
fi

psql_admin() { as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PORT" -U postgres "$@"; }

if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]; then
  log "creating role $DB_USER"
  psql_admin -d postgres -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASS'"
fi
if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  log "creating database $DB_NAME"
  psql_admin -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
fi

echo "postgres://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
