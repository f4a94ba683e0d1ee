-- Move permits taken ahead (a step's calls in a row) to now, in both windows.
-- A permit's slot frees one window after its time there, while the provider
-- counts the request from its arrival: a call sent long after its permit was
-- granted must count from its sending, or a new permit taking the freed slot
-- could reach the provider while the old request is still in the provider's
-- window (a 429). A permit whose slot has freed already is not moved (the
-- slot may be another's now): the caller takes a new permit.
-- KEYS: 1 minute window, 2 hour window
-- ARGV: 1 first permit id to move, 2 how many (consecutive ids), 3 fairness
--       key, 4 minute window s, 5 hour window s, 6 minute limit, 7 hour
--       limit (0 = window off: it holds no permits)
-- Returns how many were moved (all of them, or fewer when some had freed).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local first, count, key = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local win = {tonumber(ARGV[4]), tonumber(ARGV[5])}
local lim = {tonumber(ARGV[6]), tonumber(ARGV[7])}
local moved = 0
for i = 0, count - 1 do
  local member = tostring(first + i) .. ':' .. key
  local live = true
  for w = 1, 2 do
    if lim[w] > 0 then
      local at = redis.call('ZSCORE', KEYS[w], member)
      if not at or tonumber(at) <= now - win[w] then live = false end
    end
  end
  if live then
    for w = 1, 2 do
      if lim[w] > 0 then redis.call('ZADD', KEYS[w], 'XX', now, member) end
    end
    moved = moved + 1
  end
end
-- A window's key lives a window past its newest permit (acquire.lua's PEXPIRE).
for w = 1, 2 do
  if moved > 0 and lim[w] > 0 then redis.call('PEXPIRE', KEYS[w], math.ceil(win[w] * 1000)) end
end
return moved
