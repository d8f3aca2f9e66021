-- wrk script: POST a check-in form with a new valid NIR on every request.
--   wrk -t2 -c20 -d15s -s bench/wrk/checkin.lua URL -- PATH SESSIONS_FILE
-- PATH is the form's path (/k/chaumont, or /bare for the baseline). SESSIONS_FILE holds one
-- phone session per line, "cookie<TAB>csrf token" (a kiosk scan made beforehand); "-" for none.
-- Prints one JSON line at the end (common.lua): requests, duration, errors, latency percentiles.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")  -- setup(), done()

local counter = 0

local path, sessions = "/", {}

-- A NIR body "1 YY MM DD CCC KKK" distinct for each (thread, i); the key is 97 - (body mod 97).
local function nir(t, i)
  local within = i % 11988
  local year = math.floor(i / 11988) % 100
  local body = string.format("1%02d%02d%02d056%03d", year, within % 12 + 1, 75 - t, math.floor(within / 12) + 1)
  local key = 97 - (tonumber(body) % 97)
  return body .. string.format("%02d", key)
end

function init(args)
  path = args[1] or "/"
  if args[2] and args[2] ~= "-" then
    for line in io.lines(args[2]) do
      local cookie, token = line:match("^([^\t]+)\t(.+)$")
      if cookie then table.insert(sessions, {cookie = cookie, token = token}) end
    end
  end
end

function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  local token = string.rep("x", 90)
  if #sessions > 0 then
    local s = sessions[(counter % #sessions) + 1]
    headers["Cookie"] = s.cookie
    token = s.token
  end
  local body = "csrf_token=" .. token .. "&rdv=non&once=" .. id .. "-" .. counter ..
               "&nir=" .. nir(id, counter) .. "&phone=06+12+34+56+78"
  return wrk.format("POST", path, headers, body)
end
