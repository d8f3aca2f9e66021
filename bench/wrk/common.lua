-- What every wrk script of bench/ shares: a number for each thread (the global `id`), and one JSON
-- line printed at the end (requests, duration, errors, latency percentiles), read by checkin_http.py.
-- Loaded by each script with: dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
