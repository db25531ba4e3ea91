# Sourced by bench/*.sh: the run's output folder and the tools every benchmark needs.

# bench_out NAME SUBDIR...: makes bench/out/NAME<time>/SUBDIR/{logs,tmp} (an nginx prefix each)
# and sets OUT to the folder's absolute path.
bench_out() {
  local name=$1 d
  shift
  OUT="bench/out/$name$(date +%Y%m%d-%H%M%S)"
  for d in "$@"; do mkdir -p "$OUT/$d/logs" "$OUT/$d/tmp"; done
  OUT="$(cd "$OUT" && pwd)"
}

# nginx (the relay, the upstream, the load balancer) and wrk (the load).
bench_tools() {
  command -v nginx >/dev/null && command -v wrk >/dev/null || apt-get install -y -qq nginx wrk >/dev/null
}
