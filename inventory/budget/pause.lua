-- A 429: the whole token waits `seconds` (never shortening a longer pause).
-- KEYS: 1 state hash. ARGV: 1 seconds. Returns the pause's end (epoch s).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until') or '0')
if until_ > paused then redis.call('HSET', KEYS[1], 'paused_until', tostring(until_)) end
redis.call('HSET', KEYS[1], 'last_429', tostring(now))
redis.call('HINCRBY', KEYS[1], 'answered_429', 1)
return tostring(math.max(until_, paused))
