-- Takes a lease, or renews it when this holder already has it. One key, so fine on Redis Cluster.
-- KEYS[1] lease  ARGV[1] holder id  ARGV[2] lease duration (ms)
-- Returns 1 when the caller holds the lease for the next ARGV[2] ms, 0 when another holder does.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
