# Sourced by bench/*.sh: the run's output folder, the events, the tools and the nginx processes every
# benchmark needs.

# What the bench vendor (bench/mappings/bench.json) signs with: the events and the gateway's
# RELAY_SECRET_BENCH.
SECRET=bench-secret-0123456789

# bench_out NAME SUBDIR...: makes bench/out/NAME<time>/SUBDIR/{logs,tmp} (an nginx prefix each)
# and sets OUT to the folder's absolute path.
bench_out() {
  local name=$1 d
  shift
  OUT="bench/out/$name$(date +%Y%m%d-%H%M%S)"
  for d in "$@"; do mkdir -p "$OUT/$d/logs" "$OUT/$d/tmp"; done
  OUT="$(cd "$OUT" && pwd)"
}

# bench_events N FILE: N distinct signed events (bench/gen_events.py; FIRST and IDS pass through),
# flushed to disk before anything is measured. Left dirty, the ~1 GB would be written back by the
# kernel 30 s later (vm.dirty_expire_centisecs), in the middle of a measured run, and every fsync
# of the gateway (the nginx relay makes none) would queue behind it: wrk's p99 67 and 125 ms
# instead of 7.2 ms, and 3-6% fewer webhooks per second (two runs each, 2026-12-01).
bench_events() {
  python3 bench/gen_events.py "$1" "$SECRET" "$2"
  sync
}

# nginx (the relay, the upstream, the load balancer) and wrk (the load).
bench_tools() {
  command -v nginx >/dev/null && command -v wrk >/dev/null || apt-get install -y -qq nginx wrk >/dev/null
}

# bench_nginx NAME CONF: starts nginx (one worker) with the prefix $OUT/NAME/ and the pid file
# $OUT/NAME/NAME.pid.
bench_nginx() {
  nginx -p "$OUT/$1/" -c "$2" -g "pid $OUT/$1/$1.pid; worker_processes 1;"
}

# bench_baseline: the baseline's nginx relay (prefix relay/) and the counting upstream (up/).
bench_baseline() {
  bench_nginx up "$PWD/bench/nginx-upstream-counting.conf"
  bench_nginx relay "$PWD/bench/nginx-relay.conf"
}

# bench_nginx_worker NAME: the pid of the worker of the nginx started as NAME (one worker each).
bench_nginx_worker() {
  pgrep -P "$(cat "$OUT/$1/$1.pid")" | head -1
}

# bench_nginx_stop [NAME...]: stops the nginx bench_nginx started as each NAME, or, with no NAME,
# every one (for the scripts' EXIT traps).
bench_nginx_stop() {
  local p n pids=("$OUT"/*/*.pid)
  if [ $# -gt 0 ]; then pids=(); for n in "$@"; do pids+=("$OUT/$n/$n.pid"); done; fi
  for p in "${pids[@]}"; do [ -f "$p" ] && kill -QUIT "$(cat "$p")" 2>/dev/null || true; done
}

# Readers of the CPU counters, built-ins only (no subshell, no fork: a sampler that forks adds
# load of its own to what it measures); each sets a variable rather than printing.
# cpu_ns PID: CPU_NS, the CPU time (ns) of all of PID's threads (/proc schedstat).
cpu_ns() {
  local f ns rest
  CPU_NS=0
  for f in /proc/"$1"/task/*/schedstat; do
    read -r ns rest 2>/dev/null < "$f" && CPU_NS=$(( CPU_NS + ns ))
  done
}

# jiffies: IDLE_J, the machine's jiffies idle or waiting for the disk, and ALL_J, all of them
# (/proc/stat).
jiffies() {
  local cpu u n s i w irq sirq st rest
  read -r cpu u n s i w irq sirq st rest < /proc/stat
  IDLE_J=$(( i + w ))
  ALL_J=$(( u + n + s + i + w + irq + sirq + st ))
}

# counters PID...: COUNTERS, "ns_1 … ns_n idle all": each PID's CPU time (cpu_ns), then the
# machine's jiffies (jiffies).
counters() {
  local pid
  COUNTERS=""
  for pid in "$@"; do cpu_ns "$pid"; COUNTERS+="$CPU_NS "; done
  jiffies
  COUNTERS+="$IDLE_J $ALL_J"
}
