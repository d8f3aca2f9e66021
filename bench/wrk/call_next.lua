-- wrk script: agents call the next visitor, then mark them absent, again and again.
--   wrk -tN -cN -d15s -s bench/wrk/call_next.lua URL -- AGENTS_FILE
-- Run with as many threads as connections (-t = -c): each thread is one agent at one desk and
-- alternates POST /agent/call-next and POST /agent/tickets/<id>/no-show (the id comes from the
-- call's JSON answer). AGENTS_FILE holds one agent per line, "cookie<TAB>csrf token"; thread i
-- takes line i + 1. Prints one JSON line at the end, like checkin.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")  -- setup(), done()

local agent, ticket, counter = nil, nil, 0

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
  return wrk.format("POST", "/agent/call-next", headers, body)
end

function response(status, headers, body)
  local found = body and body:match('"ticket_id":%s*(%d+)')
  if status == 200 and found then ticket = found end
end
