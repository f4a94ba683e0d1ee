-- Take one permit from the token's budget, or say how long this caller waits.
-- Atomic: Redis runs the script alone, so no two callers see the same count.
--
-- KEYS: 1 minute window (zset: permit id -> time), 2 hour window, 3 waiters
--       (zset: caller -> rank score), 4 waiter expiries (zset: caller -> time),
--       5 state (hash: seq, paused_until)
-- ARGV: 1 minute limit, 2 hour limit (0 = window off), 3 minute window s,
--       4 hour window s, 5 caller's rank score (lower goes first),
--       6 caller id ('' = not queued), 7 minute reserve, 8 hour reserve
--       (slots a caller of the create lane must leave free; 0 otherwise),
--       9 grace s (how long a waiter keeps its place past its expected return),
--       10 cost (permits taken at once: a step's known sequence of calls)
-- Returns {1, permits in the hour window, '0', ahead} when granted,
--         {0, permits in the hour window, wait seconds (string), ahead} when not.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lim = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local win = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local score, who = tonumber(ARGV[5]), ARGV[6]
local reserve = {tonumber(ARGV[7]), tonumber(ARGV[8])}
local grace = tonumber(ARGV[9])
local cost = tonumber(ARGV[10] or '1')

local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 500)
if #gone > 0 then
  redis.call('ZREM', KEYS[3], unpack(gone))
  redis.call('ZREM', KEYS[4], unpack(gone))
end
local used = {0, 0}
for w = 1, 2 do
  if lim[w] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[w], '-inf', now - win[w])
    used[w] = redis.call('ZCARD', KEYS[w])
  end
end
local paused = tonumber(redis.call('HGET', KEYS[5], 'paused_until') or '0')
local ahead = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. score)

local fits = now >= paused
for w = 1, 2 do
  if lim[w] > 0 and lim[w] - used[w] < ahead + cost + reserve[w] then fits = false end
end
if fits then
  for c = 1, cost do
    local id = redis.call('HINCRBY', KEYS[5], 'seq', 1)
    for w = 1, 2 do
      if lim[w] > 0 then redis.call('ZADD', KEYS[w], now, id) end
    end
  end
  for w = 1, 2 do
    if lim[w] > 0 then redis.call('PEXPIRE', KEYS[w], math.ceil(win[w] * 1000)) end
  end
  if who ~= '' then
    redis.call('ZREM', KEYS[3], who)
    redis.call('ZREM', KEYS[4], who)
  end
  return {1, used[2] + cost, '0', ahead}
end

-- Refused. The caller's turn comes when `short` more permits have left the
-- window: the short-th oldest entry's expiry (or whole windows later).
local wait = 0
for w = 1, 2 do
  local short = ahead + cost + reserve[w] - (lim[w] - used[w])
  if lim[w] > 0 and short > 0 then
    local k = short - 1
    local cycles, idx = math.floor(k / lim[w]), k % lim[w]
    local at = (cycles + 1) * win[w]
    if idx < used[w] then
      local e = redis.call('ZRANGE', KEYS[w], idx, idx, 'WITHSCORES')
      at = cycles * win[w] + tonumber(e[2]) + win[w] - now
    end
    wait = math.max(wait, at)
  end
end
if paused > now then
  -- Out of a 429: after the pause, one caller per permit interval, by rank.
  local rate = lim[1] > 0 and win[1] / lim[1] or 0.05
  wait = math.max(wait, paused - now + (ahead + reserve[1]) * rate)
end
wait = math.max(wait, 0.05)
if who ~= '' then
  redis.call('ZADD', KEYS[3], score, who)
  redis.call('ZADD', KEYS[4], now + wait + grace, who)
  redis.call('EXPIRE', KEYS[3], 7200)
  redis.call('EXPIRE', KEYS[4], 7200)
end
return {0, used[2], tostring(wait), ahead}
