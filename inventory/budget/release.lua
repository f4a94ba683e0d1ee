-- Give back what a saga still holds (it ended, or will not make the calls).
-- KEYS: 1 state (hash: held), 2 held calls (hash: saga -> calls),
--       3 held-call expiries (zset)
-- ARGV: 1 saga id
-- Returns the calls given back.
local left = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if left > 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  local held = tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
  redis.call('HSET', KEYS[1], 'held', math.max(held - left, 0))
end
return left
