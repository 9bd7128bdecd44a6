-- Gives a lease up when this holder has it, so another process takes over at its next pass.
-- KEYS[1] lease  ARGV[1] holder id
-- Returns 1 when released, 0 when another holder (or nobody) had it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
