-- wrk script: agents call the next visitor, then mark them absent, again and again.
--   wrk -tN -cN -d15s -s bench/wrk/call_next.lua URL -- AGENTS_FILE
-- Run with as many threads as connections (-t = -c): each thread is one agent at one desk and
-- alternates POST /agent/call-next and POST /agent/tickets/<id>/no-show (the id comes from the
-- call's JSON answer). AGENTS_FILE holds one agent per line, "cookie<TAB>csrf token"; thread i
-- takes line i + 1. Prints one JSON line at the end, like checkin.lua.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local agent, ticket, counter, calls = nil, nil, 0, 0

function init(args)
  local n = 0
  for line in io.lines(args[1]) do
    if n == id then
      local cookie, token = line:match("^([^\t]+)\t(.+)$")
      agent = {cookie = cookie, token = token}
    end
    n = n + 1
  end
end

function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = agent.cookie,
                   ["X-Requested-With"] = "fetch", ["X-CSRFToken"] = agent.token}
  local body = "csrf_token=" .. agent.token .. "&key=" .. string.format("bench%04d%012d", id, counter)
  if ticket then
    local path = "/agent/tickets/" .. ticket .. "/no-show"
    ticket = nil
    return wrk.format("POST", path, headers, body)
  end
  calls = calls + 1
  return wrk.format("POST", "/agent/call-next", headers, body)
end

function response(status, headers, body)
  local found = body and body:match('"ticket_id":%s*(%d+)')
  if status == 200 and found then ticket = found end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
