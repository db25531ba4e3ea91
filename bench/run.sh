#!/usr/bin/env bash
# Load benchmark: the gateway beside a pure nginx relay, in the same run, with the same load
# generator (wrk + events.lua), the same distinct signed events, the same connection count and the
# same upstream (nginx, counting every PATCH it receives with a timestamp). Each gets a 2 s
# warm-up first (the gateway's with events of its own, so the measured ones stay new).
#
#   bench/run.sh [DURATION_S=10] [CONNECTIONS=64] [THREADS=1]     (BENCH_BIN=path: another build)
#
# IDS=random: order and event ids like real ones (in no order) instead of counting up; see
# bench/gen_events.py. The figures in docs/performance.md give both.
# IDS=same: one event id for all (bodies differ): after the warm-up's first event, the gateway
# answers every request as a duplicate, so the run measures its front half alone (verification,
# translation, validation, the dedupe look-up), with nothing stored or delivered.
#
# ROUNDS=n: n rounds, each the relay and a fresh gateway (new database, so the same events are
# new to it again), in turn first, and the median of the rounds' ratios at the end: the two
# setups move 5-10% between runs on a shared 2-core machine, so one round's ratio is one sample.
#
# Prints: requests/s and p50/p99 latency for both; deliveries/s counted at the upstream; the
# gateway's peak RSS; ratios gateway / nginx; the gateway's CPU per request by thread (from
# /proc, over the measured run and its deliveries); wrk's and the upstream's CPU per request
# against each, and the share of the machine left idle while sending.
# Writes everything under bench/out/<time>/.
# Needs nginx and wrk (apt-get install -y nginx wrk); builds the binary as it ships (the `dist`
# profile of Cargo.toml: fat LTO, ~7 minutes on 2 cores the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONN=${2:-64}
THREADS=${3:-1}
ROUNDS=${ROUNDS:-1}
. bench/lib.sh
bench_out "" up relay
bench_tools
# BENCH_BIN=path benchmarks another build (say, main's binary against a branch's) instead.
if [ -n "${BENCH_BIN:-}" ]; then BIN="$BENCH_BIN"; else
  cargo build --profile dist --locked --bin assessment-relay >&2
  BIN="$PWD/target/dist/assessment-relay"
fi

# Distinct events: enough for the gateway to never repeat one (sized for 50k/s).
EVENTS="$OUT/events.tsv"
N=$(( DUR * 50000 + 20000 ))
bench_events "$N" "$EVENTS"
# The gateway's warm-up events: distinct from the measured ones (ids from N on), so the measured
# run still takes no duplicate shortcut.
WARM_S=2
WARM_EVENTS="$OUT/warm-events.tsv"
FIRST=$N bench_events $(( WARM_S * 50000 )) "$WARM_EVENTS"

cleanup() {
  bench_nginx_stop
  [ -n "${GW:-}" ] && kill "$GW" 2>/dev/null || true
  wait 2>/dev/null || true
  # The events (~1 GB) and the gateway's database are made anew by every run: without this,
  # a few dozen runs fill the disk. Summaries, wrk outputs and logs stay.
  rm -rf "$EVENTS" "$WARM_EVENTS" "$OUT"/gw*
}
trap cleanup EXIT

bench_baseline
sleep 0.5
UPLOG="$OUT/up/logs/upstream-access.log"
UP_WORKER=$(bench_nginx_worker up)

load() { # url label
  WRK_THREADS=$THREADS EVENTS_FILE="$EVENTS" wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency -s bench/events.lua "$1" > "$OUT/$2.wrk.txt" &
  local wrk_pid=$!
  sample_cpu "$wrk_pid" > "$OUT/$2.cpu.txt" &
  wait "$wrk_pid"
  grep '^RESULT' "$OUT/$2.wrk.txt"
}
# Every 250 ms while wrk ($1) lives: "ms wrk_ns upstream_ns idle total", the CPU time (ns) of
# wrk and of the upstream's worker, and the machine's jiffies idle or waiting for the disk and in
# all (/proc/stat). The load generator and the upstream share the cores with what they measure,
# so their cost per request, and what is left idle, are part of the result.
# (bench/lib.sh's readers: no fork.)
sample_cpu() {
  while [ -d "/proc/$1" ]; do
    counters "$1" "$UP_WORKER"
    echo "$(( ${EPOCHREALTIME/./} / 1000 )) $COUNTERS"
    sleep 0.25
  done
}
# Over the sending window [$2, $3] (ms, from the upstream's log) less a second at each end (wrk
# loads its events first), from the samples in $1: the CPU per request (column $5: 2 wrk, 3 the
# upstream) in µs, $4 requests in the window; or, with "idle" for $5, the share of the
# machine idle or waiting for the disk.
over_window() {
  awk -v a="$2" -v b="$3" -v n="$4" -v col="$5" '$2 > 0 && $1 >= a + 1000 && $1 <= b - 1000 {
      if (!t0) { t0 = $1; r0 = $0 } t1 = $1; r1 = $0 }
    END { if (t1 <= t0 || b <= a || n <= 0) { printf "n/a"; exit }
          split(r0, x); split(r1, y)
          if (col == "idle") printf "%.1f%%", (y[4] - x[4]) * 100 / (y[5] - x[5])
          else printf "%.1f", (y[col] - x[col]) / (t1 - t0) / (n / (b - a)) / 1000 }' "$1"
}
# CPU time (ns) of each thread of process $1, summed by thread name without its digits.
thread_cpu() {
  for t in /proc/"$1"/task/*; do
    echo "$(tr -d '0-9' < "$t/comm" | tr ' ' '_') $(cut -d' ' -f1 "$t/schedstat")"
  done | awk '{ ns[$1] += $2 } END { for (k in ns) printf "%s %.0f\n", k, ns[k] }' | LC_ALL=C sort
}
# µs per request by thread between two `thread_cpu` snapshots ($1, $2), for $3 requests.
per_request() {
  LC_ALL=C join "$1" "$2" | awk -v n="$3" '{ d = ($3 - $2) / 1000 / n; t += d
      if (d >= 0.05) printf "%s %.1f, ", $1, d } END { printf "total %.1f", t }'
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# Deliveries to wait for after $1 accepted requests: with IDS=same only the warm-up's first
# event is new (the measured run's are all its duplicates).
expected() { if [ "${IDS:-}" = same ]; then [ "$2" = warm ] && echo 1 || echo 0; else echo "$1"; fi; }
now_ms() { date +%s%3N; }
# PATCHes answered 200 at the upstream since $1 (ms): count, first and last one's time (ms).
# Rates are count / (last - first) for both setups: wrk spends seconds loading the events
# file before it sends anything, so timing from before wrk starts would understate whichever
# setup is timed that way.
delivered_since() {
  awk -v t="$1" '{ ms = $1 * 1000 } ms >= t && $2 == "PATCH" && $3 == 200 { n++; if (!first || ms < first) first = ms; if (ms > last) last = ms } END { printf "%d %.0f %.0f\n", n, first, last }' "$UPLOG"
}

# The gateway's mappings: the bench vendor (HMAC-SHA256 over each body), the same every round.
MAP="$OUT/mappings"; mkdir -p "$MAP"; cp mappings/mapping.schema.json mappings/auth.schema.json bench/mappings/bench.json "$MAP/"

# One round: the relay and a gateway on a new database, the relay first in odd rounds and the
# gateway first in even ones, so that neither always runs on a machine the other just warmed
# (or slowed). Sets the variables the summary reads.
round() {
  if (( R % 2 )); then relay_run; gateway_run; else gateway_run; relay_run; fi
  local rw=("$OUT/relay$R.cpu.txt" "$RELAY_FIRST" "$RELAY_LAST" "$RELAY_DELIVERED")
  local gw=("$OUT/gateway$R.cpu.txt" "$GW_FIRST" "$GW_LAST" "$GW_DELIVERED")
  WRK_CPU="relay $(over_window "${rw[@]}" 2), gateway $(over_window "${gw[@]}" 2)"
  UP_CPU="relay $(over_window "${rw[@]}" 3), gateway $(over_window "${gw[@]}" 3)"
  IDLE="relay $(over_window "${rw[@]}" idle), gateway $(over_window "${gw[@]}" idle)"
}

relay_run() {
  # The baseline: nginx relaying the same requests (it checks nothing, so repeats are fine),
  # after a warm-up of the same length as the gateway's.
  WRK_THREADS=$THREADS EVENTS_FILE="$EVENTS" wrk -t"$THREADS" -c"$CONN" -d"${WARM_S}s" -s bench/events.lua http://127.0.0.1:18080/webhooks/x >/dev/null
  sleep 1.5
  T0=$(now_ms)
  RELAY=$(load http://127.0.0.1:18080/webhooks/x "relay$R")
  sleep 1.5   # the upstream flushes its log every second
  read -r RELAY_DELIVERED RELAY_FIRST RELAY_LAST <<<"$(delivered_since "$T0")"
}

gateway_run() {
  # The gateway: embedded SQLite store, the bench vendor.
  RELAY_LISTEN_ADDR=127.0.0.1:18090 RELAY_UPSTREAM_URL=http://127.0.0.1:18081 RELAY_API_KEY=bench \
  RELAY_MAPPINGS_DIR="$MAP" RELAY_SECRET_BENCH="$SECRET" RELAY_DATABASE_URL="sqlite://$OUT/gw$R/relay.db" \
  RELAY_LOG_FORMAT=json RUST_LOG=warn RELAY_DELIVERY_CONCURRENCY=${RELAY_DELIVERY_CONCURRENCY:-64} \
    "$BIN" serve > "$OUT/gateway$R.log" 2>&1 &
  GW=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18090/healthz >/dev/null && break; sleep 0.1; done
  # Warm-up, like nginx's: a fresh process otherwise spends the measured run's first seconds
  # faulting in its heap and page cache (~110 MiB), which a gateway in service did long ago.
  # It waits (bounded) until the warm-up's events are delivered, so none is counted below.
  TW=$(now_ms)
  WARMED=$(field "$(WRK_THREADS=$THREADS EVENTS_FILE="$WARM_EVENTS" wrk -t"$THREADS" -c"$CONN" -d"${WARM_S}s" -s bench/events.lua http://127.0.0.1:18090/webhooks/bench | grep '^RESULT')" reqs)
  for _ in $(seq 120); do
    sleep 0.5
    read -r WARM_DELIVERED _ _ <<<"$(delivered_since "$TW")"
    [ "$WARM_DELIVERED" -ge "$(expected "$WARMED" warm)" ] && break
  done
  sleep 1.5
  T1=$(now_ms)
  thread_cpu "$GW" > "$OUT/gateway$R-threads-before.txt"
  GATEWAY=$(load http://127.0.0.1:18090/webhooks/bench "gateway$R")
  ACCEPTED=$(field "$GATEWAY" reqs)
  # Wait (bounded) until every accepted event reached the upstream.
  for _ in $(seq 240); do
    sleep 0.5
    read -r GW_DELIVERED GW_FIRST GW_LAST <<<"$(delivered_since "$T1")"
    [ "$GW_DELIVERED" -ge "$(expected "$ACCEPTED" run)" ] && break
  done
  thread_cpu "$GW" > "$OUT/gateway$R-threads-after.txt"
  THREAD_CPU=$(per_request "$OUT/gateway$R-threads-before.txt" "$OUT/gateway$R-threads-after.txt" "$ACCEPTED")
  RSS_KB=$(sed -n 's/^VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$GW/status")
  STATS=$(curl -s http://127.0.0.1:18090/readyz | python3 -c 'import json,sys; q=json.load(sys.stdin)["queue"]; print(" ".join(f"{k}={v}" for k,v in q.items()))')
  kill "$GW" 2>/dev/null || true
  wait "$GW" 2>/dev/null || true
  GW=
  rm -rf "$OUT/gw$R"
}

summary() {
python3 - "$DUR" "$RELAY" "$RELAY_DELIVERED" "$RELAY_FIRST" "$RELAY_LAST" "$GATEWAY" "$GW_DELIVERED" "$GW_FIRST" "$GW_LAST" "$RSS_KB" "$STATS" "$THREAD_CPU" "$WRK_CPU" "$UP_CPU" "$IDLE" <<'PY' 
import os
import sys
dur, relay, relay_deliv, relay_first, relay_last, gw, gw_deliv, gw_first, gw_last, rss, stats, threads, wrk_cpu, up_cpu, idle = sys.argv[1:]
def parse(r): return {k: float(v) for k, v in (p.split("=") for p in r.split()[1:])}
def rate(n, first, last):
    span = (int(last) - int(first)) / 1000
    return int(n) / span if span > 0 else 0
r, g = parse(relay), parse(gw)
relay_dps = rate(relay_deliv, relay_first, relay_last)
gw_dps = rate(gw_deliv, gw_first, gw_last)
print(f"duration {dur}s per run, same events ({os.environ.get('IDS', 'counting')} ids), same wrk, same upstream")
print(f"{'':24}{'nginx relay':>14}{'gateway':>14}{'ratio':>8}")
print(f"{'accepted req/s':24}{r['rps']:>14.0f}{g['rps']:>14.0f}{g['rps']/r['rps']:>8.2f}")
print(f"{'delivered/s (upstream)':24}{relay_dps:>14.0f}{gw_dps:>14.0f}{gw_dps/relay_dps:>8.2f}")
print(f"{'latency p50 (ms)':24}{r['p50_us']/1000:>14.2f}{g['p50_us']/1000:>14.2f}")
print(f"{'latency p99 (ms)':24}{r['p99_us']/1000:>14.2f}{g['p99_us']/1000:>14.2f}")
if os.environ.get('IDS') == 'same':
    print(f"gateway: {g['reqs']:.0f} answered, all duplicates of one event ({gw_deliv} delivered: expected 0)")
else:
    print(f"gateway: {g['reqs']:.0f} accepted, {gw_deliv} delivered (all: {int(gw_deliv) >= g['reqs']})")
print(f"gateway: errors status={g['err_status']:.0f} timeout={g['err_timeout']:.0f}, peak RSS {int(rss)/1024:.0f} MiB")
print(f"gateway queue after the run: {stats}")
print(f"gateway CPU per request by thread (µs): {threads}")
print(f"wrk CPU per request (µs, n/a where nothing was delivered): {wrk_cpu}")
print(f"upstream CPU per request (µs): {up_cpu}")
print(f"machine idle or waiting for the disk while sending: {idle}")
print(f"RATIO {gw_dps/relay_dps:.6f}")   # rounded once, where the median is printed
PY
}

for R in $(seq "$ROUNDS"); do
  [ "$ROUNDS" -gt 1 ] && echo "round $R of $ROUNDS" | tee -a "$OUT/summary.txt"
  round
  SUMMARY=$(summary)
  grep -v '^RATIO' <<<"$SUMMARY" | tee -a "$OUT/summary.txt"
  RATIOS="${RATIOS:-} $(sed -n 's/^RATIO //p' <<<"$SUMMARY")"
done
if [ "$ROUNDS" -gt 1 ]; then
  # shellcheck disable=SC2086 # one argument per round
  python3 -c '
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
print("delivered/s ratio by round (sorted):", " ".join(f"{x:.2f}" for x in r), f"median {statistics.median(r):.2f}")' $RATIOS | tee -a "$OUT/summary.txt"
fi
echo "details in $OUT" >&2
