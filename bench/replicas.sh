#!/usr/bin/env bash
# Scale-out benchmark: 1, 2 and 3 gateway replicas sharing one PostgreSQL queue, behind an nginx
# round-robin load balancer, against the pure nginx relay measured in the same run with the same
# wrk script, events, connection count and counting upstream.
#
#   bench/replicas.sh [DURATION_S=10] [CONNECTIONS=128]
#
# PostgreSQL runs with its defaults (fsync on) via scripts/pg-start.sh on port 55500.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONN=${2:-128}
. bench/lib.sh
bench_out replicas- up relay lb
bench_tools
cargo build --profile dist --locked --bin assessment-relay >&2
BIN="$PWD/target/dist/assessment-relay"
EVENTS="$OUT/events.tsv"
bench_events $(( DUR * 40000 + 20000 )) "$EVENTS"
PGURL=$(scripts/pg-start.sh 55500 /tmp/relay-bench-pg)
PIDS=()
cleanup() {
  bench_nginx_stop
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  # As bench/run.sh: the events file and the database are made anew by every run.
  rm -f "$EVENTS"
  scripts/pg-stop.sh 55500 /tmp/relay-bench-pg --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT
bench_baseline
sleep 0.5
UPLOG="$OUT/up/logs/upstream-access.log"
now_ms() { date +%s%3N; }
# Count, first and last delivery (ms) since $1; rates are count / (last - first) for every setup
# (wrk loads its events for seconds before sending, so timing from its start would understate).
delivered_since() { awk -v t="$1" '{ ms = $1 * 1000 } ms >= t && $2 == "PATCH" && $3 == 200 { n++; if (!first || ms < first) first = ms; if (ms > last) last = ms } END { printf "%d %.0f %.0f\n", n, first, last }' "$UPLOG"; }
load() { EVENTS_FILE="$EVENTS" WRK_THREADS=1 wrk -t1 -c"$CONN" -d"${DUR}s" --latency -s bench/events.lua "$1" | grep '^RESULT'; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

T0=$(now_ms); RELAY=$(load http://127.0.0.1:18080/webhooks/x); sleep 1.5
read -r RD RF RL <<<"$(delivered_since "$T0")"
printf '%-12s %10s %12s %8s %8s\n' setup accepted/s delivered/s p50_ms p99_ms | tee "$OUT/summary.txt"
printf '%-12s %10.0f %12.0f %8.2f %8.2f\n' "nginx relay" "$(field "$RELAY" rps)" "$(echo "$RD / (($RL - $RF) / 1000)" | bc -l)" \
  "$(echo "$(field "$RELAY" p50_us) / 1000" | bc -l)" "$(echo "$(field "$RELAY" p99_us) / 1000" | bc -l)" | tee -a "$OUT/summary.txt"

MAP="$OUT/mappings"; mkdir -p "$MAP"; cp mappings/mapping.schema.json mappings/auth.schema.json bench/mappings/bench.json "$MAP/"
for n in 1 2 3; do
  SCHEMA="b${n}_$(date +%s)"
  psql -q "$PGURL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
  DB="$PGURL?options=-c%20search_path%3D$SCHEMA"
  servers=""
  PIDS=()
  for i in $(seq 1 "$n"); do
    port=$((18090 + i))
    RELAY_LISTEN_ADDR=127.0.0.1:$port RELAY_UPSTREAM_URL=http://127.0.0.1:18081 RELAY_API_KEY=bench \
    RELAY_MAPPINGS_DIR="$MAP" RELAY_SECRET_BENCH="$SECRET" RELAY_DATABASE_URL="$DB" RELAY_INSTANCE_ID="r$i" \
    RELAY_WORKERS=$(( n == 1 ? 2 : 1 )) RELAY_LOG_FORMAT=json RUST_LOG=warn "$BIN" serve > "$OUT/r$n-$i.log" 2>&1 &
    PIDS+=($!)
    servers="$servers server 127.0.0.1:$port;"
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  done
  cat > "$OUT/lb/lb.conf" <<CONF
error_log logs/lb-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path tmp/b; proxy_temp_path tmp/p; fastcgi_temp_path tmp/f; uwsgi_temp_path tmp/u; scgi_temp_path tmp/s;
  upstream relays { $servers keepalive 256; }
  server { listen 127.0.0.1:18090 reuseport backlog=4096;
    location / { proxy_pass http://relays; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
  [ -f "$OUT/lb/lb.pid" ] && bench_nginx_stop lb && sleep 0.5
  bench_nginx lb "$OUT/lb/lb.conf"
  sleep 1
  T1=$(now_ms)
  GW=$(load http://127.0.0.1:18090/webhooks/bench)
  ACC=$(field "$GW" reqs)
  for _ in $(seq 240); do sleep 0.5; read -r GD GF GL <<<"$(delivered_since "$T1")"; [ "$GD" -ge "$ACC" ] && break; done
  printf '%-12s %10.0f %12.0f %8.2f %8.2f\n' "$n replica(s)" "$(field "$GW" rps)" "$(echo "$GD / (($GL - $GF) / 1000)" | bc -l)" \
    "$(echo "$(field "$GW" p50_us) / 1000" | bc -l)" "$(echo "$(field "$GW" p99_us) / 1000" | bc -l)" | tee -a "$OUT/summary.txt"
  for p in "${PIDS[@]}"; do kill "$p"; done
  wait "${PIDS[@]}" 2>/dev/null || true
done
echo "details in $OUT" >&2
