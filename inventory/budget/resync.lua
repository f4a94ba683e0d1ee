-- Correct the count from an answer's headers: other clients share the token.
-- KEYS: 1 hour window, 2 state hash
-- ARGV: 1 requests the provider counts in its window (limit - remaining),
--       2 hour window s (0 = not kept), 3 remaining, 4 reset (epoch s), 5 cap
-- When the provider counts more than we do, the difference becomes phantom
-- entries stamped now (the latest they can have happened: conservative).
-- When nothing is left, the whole token pauses until the reset.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local provider_used, win = tonumber(ARGV[1]), tonumber(ARGV[2])
local remaining, reset, cap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local added = 0
if win > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
  local missing = math.min(provider_used - redis.call('ZCARD', KEYS[1]), cap)
  while added < missing do
    local id = redis.call('HINCRBY', KEYS[2], 'seq', 1)
    redis.call('ZADD', KEYS[1], now, 'p' .. id)
    added = added + 1
  end
  if added > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(win * 1000)) end
end
if remaining <= 0 and reset > now then
  local paused = tonumber(redis.call('HGET', KEYS[2], 'paused_until') or '0')
  if reset > paused then redis.call('HSET', KEYS[2], 'paused_until', tostring(reset)) end
end
return added
