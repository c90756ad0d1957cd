-- GET /api/users/<random seeded id>, the same sequence shape for Ondes and the baseline.
local users = tonumber(os.getenv("BENCH_SEED_USERS") or "10000")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/users/" .. math.random(1, users))
end
