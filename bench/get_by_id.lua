-- GET BENCH_PATH (e.g. /api/v1/targets/%s/status?as_of=2025-09-30) for a random id per request:
-- one of BENCH_IDS, or from BENCH_ID_MIN to BENCH_ID_MAX.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH")
local ids = (os.getenv("BENCH_IDS") or "") ~= "" and bench_list("BENCH_IDS") or nil
local low, high = tonumber(os.getenv("BENCH_ID_MIN") or "1"), tonumber(os.getenv("BENCH_ID_MAX") or "1")

function request()
  local id = ids and ids[math.random(#ids)] or math.random(low, high)
  return wrk.format("GET", string.format(path, id))
end
