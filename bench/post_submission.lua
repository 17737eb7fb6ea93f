-- POST one valid figure per request (the API's route or the floor's, same body):
--   a target that takes a plain value (BENCH_TARGET_IDS), one of the plan's organisations
--   (BENCH_ORG_IDS), a date within the plan's period (BENCH_DAY0 + 0..BENCH_DAYS-1, Unix seconds),
--   a unique Idempotency-Key per request, and the API key when there is one (BENCH_AUTH).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local targets = bench_list("BENCH_TARGET_IDS")
local orgs = bench_list("BENCH_ORG_IDS")
local day0 = tonumber(os.getenv("BENCH_DAY0"))
local days = tonumber(os.getenv("BENCH_DAYS"))
local path = os.getenv("BENCH_PATH")  -- e.g. /api/v1/targets/%s/submissions
local auth = os.getenv("BENCH_AUTH") or ""
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local counter = 0

function request()
  counter = counter + 1
  local body = string.format(
    '{"value": %.2f, "period_date": "%s", "organization_id": %s, "is_estimate": %s, "note": "bench"}',
    math.random() * 1000, os.date("!%Y-%m-%d", day0 + 86400 * math.random(0, days - 1)),
    orgs[math.random(#orgs)], math.random() < 0.2 and "true" or "false")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", nonce, thread_id or 0, counter),
  }
  if auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
  return wrk.format("POST", string.format(path, targets[math.random(#targets)]), headers, body)
end
