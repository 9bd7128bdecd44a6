-- Shared: a finished run's keys are kept for a week (status, failures, dedupe), then expire.
local RUN_TTL_MS = 7 * 24 * 3600 * 1000
local function expireRun(keys)
  for _, key in ipairs(keys) do redis.call('PEXPIRE', key, RUN_TTL_MS) end
end
