-- POST /api/streams/<random live stream id>/heartbeat, a fresh anonymous viewer session each
-- time (the worst case for the viewer sets: every beat adds a member), the same bytes for
-- Ondes and the baseline.
local first = tonumber(os.getenv("BENCH_LIVE_FIRST") or "1")
local last = tonumber(os.getenv("BENCH_LIVE_LAST") or "1000")
local chars = "abcdefghijklmnopqrstuvwxyz0123456789"
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function session()
  local out = {}
  for i = 1, 16 do
    local n = math.random(1, #chars)
    out[i] = chars:sub(n, n)
  end
  return table.concat(out)
end
request = function()
  return wrk.format("POST", "/api/streams/" .. math.random(first, last) .. "/heartbeat",
    { ["Content-Type"] = "application/json" }, '{"session_id":"' .. session() .. '"}')
end
