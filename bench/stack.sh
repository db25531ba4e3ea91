#!/usr/bin/env bash
# The chosen stack's own ceiling: the baseline's nginx relay beside a bare actix-web + awc relay
# (examples/bare_relay.rs: POST in, PATCH out, the upstream's status back; no verification,
# translation or storage), in the same run, same wrk script and events, same upstream. What the
# bare relay costs beside nginx is what actix-web and awc cost; the rest of the gateway's gap
# (bench/run.sh) is its own work.
#
#   bench/stack.sh [DURATION_S=10] [CONNECTIONS=64]      ROUNDS=n (default 2), relays in turn
#
# Both relays answer only after the upstream did, so wrk's rate is the delivered rate. Prints,
# per run: requests/s, p50/p99, and over 3 s of steady load the relay's, the upstream's and
# wrk's CPU per request (µs, /proc schedstat) and the share of the machine idle.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONN=${2:-64}
ROUNDS=${ROUNDS:-2}
# wrk sends from ~3 s after it starts (it loads its events first) until DUR s later; the CPU
# window, DUR/2 to DUR/2 + 3 s after it starts, falls inside that only from 6 s on.
(( DUR >= 6 )) || { echo "stack.sh: DURATION_S must be at least 6" >&2; exit 2; }
. bench/lib.sh
bench_out stack- up relay
bench_tools
cargo build --profile dist --locked --example bare_relay >&2
EVENTS="$OUT/events.tsv"
bench_events $(( DUR * 50000 + 20000 )) "$EVENTS"

cleanup() {
  bench_nginx_stop
  [ -n "${BARE:-}" ] && kill "$BARE" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -f "$EVENTS"
}
trap cleanup EXIT

bench_baseline
BARE_LISTEN=127.0.0.1:18092 BARE_UPSTREAM=http://127.0.0.1:18081 target/dist/examples/bare_relay > "$OUT/bare.log" 2>&1 &
BARE=$!
sleep 1
UP_WORKER=$(bench_nginx_worker up)
NGINX_WORKER=$(bench_nginx_worker relay)

run() { # label url relay_pid
  WRK_THREADS=1 EVENTS_FILE="$EVENTS" wrk -t1 -c"$CONN" -d2s -s bench/events.lua "$2" >/dev/null
  sleep 1
  WRK_THREADS=1 EVENTS_FILE="$EVENTS" wrk -t1 -c"$CONN" -d"${DUR}s" --latency -s bench/events.lua "$2" > "$OUT/$1.wrk.txt" &
  local w=$! before after t0 t1
  sleep $(( DUR / 2 ))
  counters "$3" "$UP_WORKER" "$w"; before=$COUNTERS; t0=$EPOCHREALTIME
  sleep 3
  counters "$3" "$UP_WORKER" "$w"; after=$COUNTERS; t1=$EPOCHREALTIME
  wait "$w"
  python3 - "$1" "$(grep '^RESULT' "$OUT/$1.wrk.txt")" "$before" "$after" "$t0 $t1" <<'PY' | tee -a "$OUT/summary.txt"
import sys
label, result, before, after, t = sys.argv[1:]
r = {k: float(v) for k, v in (p.split("=") for p in result.split()[1:])}
n = r["rps"] * (lambda a, b: b - a)(*map(float, t.split()))   # requests in the window, at the run's mean rate
relay, up, wrk, idle, total = (b - a for a, b in zip(map(int, before.split()), map(int, after.split())))
us = lambda ns: ns / 1e3 / n
print(f"{label:12} {r['rps']:>8.0f}/s  p50 {r['p50_us']/1000:.2f} ms  p99 {r['p99_us']/1000:.2f} ms  "
      f"CPU per request: relay {us(relay):.1f} µs, upstream {us(up):.1f}, wrk {us(wrk):.1f}; "
      f"idle {100 * idle / total:.1f}%")
print(f"RPS {label} {r['rps']:.0f}")
PY
}

for R in $(seq "$ROUNDS"); do
  if (( R % 2 )); then
    run nginx http://127.0.0.1:18080/webhooks/x "$NGINX_WORKER"; run actix+awc http://127.0.0.1:18092/webhooks/x "$BARE"
  else
    run actix+awc http://127.0.0.1:18092/webhooks/x "$BARE"; run nginx http://127.0.0.1:18080/webhooks/x "$NGINX_WORKER"
  fi
done
python3 - "$OUT/summary.txt" <<'PY'
import sys, statistics
runs = [l.split()[1:] for l in open(sys.argv[1]) if l.startswith("RPS ")]
nginx = [float(v) for k, v in runs if k == "nginx"]
bare = [float(v) for k, v in runs if k != "nginx"]
ratios = [b / n for n, b in zip(nginx, bare)]
print("bare actix-web + awc relay / nginx relay, by round:", ", ".join(f"{x:.2f}" for x in ratios),
      f"(median {statistics.median(ratios):.2f})")
PY
