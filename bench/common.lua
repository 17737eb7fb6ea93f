-- Shared by the wrk scripts: reading lists from the environment, and one JSON line of results.
-- The driver (bench/run.py) sets the BENCH_* variables; wrk runs each thread in its own Lua state.

function bench_list(name)
  local t = {}
  for item in string.gmatch(os.getenv(name) or "", "[^,]+") do t[#t + 1] = item end
  if #t == 0 then error(name .. " is empty") end
  return t
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

-- Latencies in microseconds. status_errors counts answers with a status above 399: the driver
-- refuses a run that has any (every request must be valid).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %.0f, "bytes": %.0f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %.0f, "p90_us": %.0f, "p99_us": %.0f, ' ..
    '"max_us": %.0f, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
