-- GET /streams/<random live stream id>: the directory figure's primary-key baseline.
local first = tonumber(os.getenv("BENCH_LIVE_FIRST") or "1")
local last = tonumber(os.getenv("BENCH_LIVE_LAST") or "1000")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/streams/" .. math.random(first, last))
end
