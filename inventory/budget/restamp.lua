-- Move one permit to now, in both windows: its call was answered (or given
-- up on) long after the grant. A permit's slot frees one window after its
-- time there, while the provider counts the request from its arrival, which
-- is before the answer: counted from the grant, a new permit taking the
-- freed slot could reach the provider while this request is still in the
-- provider's window (a 429). A permit whose slot has freed already is not
-- moved (the slot may be another's now).
-- KEYS: 1 minute window, 2 hour window
-- ARGV: 1 permit id, 2 fairness key, 3 minute window s, 4 hour window s,
--       5 minute limit, 6 hour limit (0 = window off: it holds no permits)
-- Returns 1 when moved, 0 when its slot had freed.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local member = ARGV[1] .. ':' .. ARGV[2]
local win = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local lim = {tonumber(ARGV[5]), tonumber(ARGV[6])}
for w = 1, 2 do
  if lim[w] > 0 then
    local at = redis.call('ZSCORE', KEYS[w], member)
    if not at or tonumber(at) <= now - win[w] then return 0 end
  end
end
for w = 1, 2 do
  if lim[w] > 0 then
    redis.call('ZADD', KEYS[w], 'XX', now, member)
    -- A window's key lives a window past its newest permit (acquire.lua's PEXPIRE).
    redis.call('PEXPIRE', KEYS[w], math.ceil(win[w] * 1000))
  end
end
return 1
