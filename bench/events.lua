-- wrk script: POST pre-generated distinct signed events (bench/gen_events.py), each once.
-- env: EVENTS_FILE (required), SIG_HEADER (default X-Hub-Signature-256)
-- env: WRK_THREADS (must equal wrk's -t). Thread k sends lines k, k+T, k+2T, … so no event is
-- sent twice.
local events_file = os.getenv("EVENTS_FILE")
local sig_header = os.getenv("SIG_HEADER") or "X-Hub-Signature-256"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each thread keeps only its own share of the events (every nthreads-th line), so memory
  -- stays at one copy of the file in all.
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  events = {}
  local f = assert(io.open(events_file, "rb"))
  local n = 0
  for line in f:lines() do
    if n % nthreads == id then
      local tab = line:find("\t", 1, true)
      events[#events + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
    end
    n = n + 1
  end
  f:close()
  idx = 1
end

function request()
  local e = events[idx]
  if e == nil then
    -- Out of distinct events: start over (repeats are duplicates for the gateway; the run is
    -- sized so this does not happen when measuring it, and run.sh checks).
    idx = 1
    e = events[1]
  end
  idx = idx + 1
  local headers = { ["Content-Type"] = "application/json", [sig_header] = e[1] }
  return wrk.format("POST", nil, headers, e[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT reqs=%d dur_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d "
    .. "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
