-- wrk script: POST pre-generated distinct signed events (bench/gen_events.py), each once.
-- env: EVENTS_FILE (required), SIG_HEADER (default X-Hub-Signature-256)
-- With several wrk threads, thread k sends events k, k+T, k+2T, … so no event is sent twice.
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
  nthreads = counter
  events = {}
  local f = assert(io.open(events_file, "rb"))
  for line in f:lines() do
    local tab = line:find("\t", 1, true)
    events[#events + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
  end
  f:close()
  idx = id + 1
  step = nthreads > 0 and nthreads or 1
  exhausted = false
end

function request()
  local e = events[idx]
  if e == nil then
    -- Out of distinct events: repeat the last one (a duplicate); the run is sized so this
    -- does not happen, and the summary line reports it if it does.
    exhausted = true
    e = events[#events]
  else
    idx = idx + step
  end
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
