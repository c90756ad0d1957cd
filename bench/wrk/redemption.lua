-- POST /api/channel-points/custom-rewards/redemptions for a random (channel, viewer): one of
-- BENCH_REDEMPTION_USERS viewers (their tokens in BENCH_TOKENS_FILE, one a line) redeeming the
-- reward of one of the channels in BENCH_REWARDS_FILE ("<broadcaster_id> <reward_id>" a line).
-- The same request for Ondes (bearer token) and the baseline (x-bench-user).
local function lines(path)
  local out = {}
  for line in io.lines(path) do out[#out + 1] = line end
  return out
end
local tokens = lines(os.getenv("BENCH_TOKENS_FILE"))
local rewards = {}
for _, line in ipairs(lines(os.getenv("BENCH_REWARDS_FILE"))) do
  local broadcaster, reward = line:match("^(%d+) (%S+)$")
  rewards[#rewards + 1] = { broadcaster, reward }
end
local first_user = tonumber(os.getenv("BENCH_FIRST_USER") or "1")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local u = math.random(1, #tokens)
  local r = rewards[math.random(1, #rewards)]
  return wrk.format("POST", "/api/channel-points/custom-rewards/redemptions?broadcaster_id=" .. r[1] .. "&reward_id=" .. r[2], {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[u],
    ["X-Bench-User"] = tostring(first_user + u - 1),
  }, "{}")
end
