#!/usr/bin/env bash
# Stops the throwaway PostgreSQL server started by scripts/pg-start.sh.
#
#   scripts/pg-stop.sh [PORT] [DATA_DIR] [--purge]     (defaults: 55432, /tmp/relay-pg-PORT)
#
# Idempotent: a server that is not running is fine. With --purge the data dir is deleted too.
set -euo pipefail

PURGE=0
ARGS=()
for a in "$@"; do
  if [ "$a" = --purge ]; then PURGE=1; else ARGS+=("$a"); fi
done
PORT="${ARGS[0]:-55432}"
DATA="${ARGS[1]:-/tmp/relay-pg-$PORT}"

BIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$d/pg_ctl" ] && { BIN="$d"; break; }
done
[ -z "$BIN" ] && command -v pg_ctl >/dev/null 2>&1 && BIN="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"

if [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ]; then
  if [ "$(id -u)" = 0 ]; then as_owner() { runuser -u postgres -- "$@"; }; else as_owner() { "$@"; }; fi
  if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >&2
  else
    echo "pg-stop: not running ($DATA)" >&2
  fi
fi
if [ "$PURGE" = 1 ]; then
  rm -rf "$DATA" "$DATA.initdb.log"
fi
