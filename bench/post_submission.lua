-- POST one valid figure per request (the API's route or the floor's, same body):
--   a target that takes a plain value (BENCH_TARGET_IDS), one of the plan's organisations
--   (BENCH_ORG_IDS), a date within the plan's period (BENCH_DAY0 + 0..BENCH_DAYS-1, Unix seconds),
--   a unique Idempotency-Key per request, and the API key when there is one (BENCH_AUTH).
-- Each request is a new figure: one unit has one figure per target, date and estimate flag (a
-- second one is a 409), so (target, organisation, date, flag) walks through every combination
-- from a random start. BENCH_DAY0 lies after the loaded figures' dates: no clash with them either.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local targets = bench_list("BENCH_TARGET_IDS")
local orgs = bench_list("BENCH_ORG_IDS")
local day0 = tonumber(os.getenv("BENCH_DAY0"))
local days = tonumber(os.getenv("BENCH_DAYS"))
local path = os.getenv("BENCH_PATH")  -- e.g. /api/v1/targets/%s/submissions
local auth = os.getenv("BENCH_AUTH") or ""
local nonce = os.getenv("BENCH_NONCE") or tostring(os.time())
local counter = 0
local combinations = #targets * #orgs * days * 2
local start = nil

function request()
  if start == nil then
    math.randomseed(os.time() + (thread_id or 0))
    start = math.random(0, combinations - 1)
  end
  local i = (start + counter) % combinations
  counter = counter + 1
  local target = targets[i % #targets + 1]
  i = math.floor(i / #targets)
  local org = orgs[i % #orgs + 1]
  i = math.floor(i / #orgs)
  local day = i % days
  local estimate = math.floor(i / days) == 1
  local body = string.format(
    '{"value": %.2f, "period_date": "%s", "organization_id": %s, "is_estimate": %s, "note": "bench"}',
    math.random() * 1000, os.date("!%Y-%m-%d", day0 + 86400 * day), org, estimate and "true" or "false")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", nonce, thread_id or 0, counter),
  }
  if auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
  return wrk.format("POST", string.format(path, target), headers, body)
end
