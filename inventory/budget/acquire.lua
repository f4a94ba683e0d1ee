-- Take permits from the token's budget, or say how long this caller waits.
-- Atomic: Redis runs the script alone, so no two callers see the same count.
--
-- KEYS: 1 minute window (zset: permit id -> time), 2 hour window, 3 waiters
--       (zset: caller -> rank), 4 waiter expiries (zset: caller -> time),
--       5 state (hash: seq, paused_until, held), 6 held calls (hash: saga ->
--       calls), 7 held-call expiries (zset: saga -> time), 8 fair queuing
--       (hash: 'v:<lane>' virtual time, 'f:<lane>:<key>' a key's next start),
--       9 create pace (zset: permit id -> time of each create's permits)
-- ARGV: 1 minute limit, 2 hour limit (0 = window off), 3 minute window s,
--       4 hour window s, 5 lane, 6 caller id ('' = not queued),
--       7 minute reserve, 8 hour reserve (slots a create must leave free to
--       the other lanes; 0 otherwise), 9 grace s (how long a waiter keeps its
--       place past its expected return), 10 cost (permits taken at once),
--       11 fairness key, 12 weight, 13 saga id ('' = none), 14 calls to hold
--       for the saga when granted, 15 '1' when this call may spend the
--       saga's held calls, 16 how long held calls are kept (s), 17 create
--       pace window s, 18 permits creates may take in it (0 = no pacing),
--       19 held calls this call must leave to the saga's later steps, 20
--       calls this call's step plans (held beyond 19 + 20 are given back)
-- Returns {1, permits in the hour window, '0', ahead, first permit id} when
--         granted (a grant's ids are consecutive: restamp.lua moves them),
--         {0, permits in the hour window, wait seconds (string), ahead} when not.
--
-- Fairness is start-time fair queuing (Goyal et al., 1996) within each lane:
-- a caller's start tag is max(the lane's virtual time, its key's last finish
-- tag); its key's finish tag moves cost / weight past it; the virtual time
-- is the start tag of the last caller granted. Waiters rank by start tag, so
-- the keys waiting take turns by weight, a key that was idle starts at the
-- virtual time (about one turn, not behind anyone's backlog), and a key
-- alone takes every permit (nothing else ranks before it).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local SPAN = 1e10
local lim = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local win = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local lane, who = tonumber(ARGV[5]), ARGV[6]
local reserve = {tonumber(ARGV[7]), tonumber(ARGV[8])}
local grace = tonumber(ARGV[9])
local cost = tonumber(ARGV[10])
local key, weight = ARGV[11], math.max(tonumber(ARGV[12]), 0.001)
local saga, hold, planned, hold_ttl = ARGV[13], tonumber(ARGV[14]), ARGV[15] == '1', tonumber(ARGV[16])
local pace_win, pace_lim = tonumber(ARGV[17]), tonumber(ARGV[18])
local keep, plan = tonumber(ARGV[19]), tonumber(ARGV[20])
local lead = tonumber(ARGV[21])
local CREATE = 2
-- A caller short of permits that held calls could cover looks again this
-- soon: sagas in flight give back what they did not spend, and end.
local HELD_RECHECK = 2.0

local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 500)
if #gone > 0 then
  redis.call('ZREM', KEYS[3], unpack(gone))
  redis.call('ZREM', KEYS[4], unpack(gone))
end
-- Held calls of sagas that never came back for them are given back.
local held = tonumber(redis.call('HGET', KEYS[5], 'held') or '0')
local held_before = held
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', now, 'LIMIT', 0, 500)
for _, s in ipairs(lapsed) do
  held = held - tonumber(redis.call('HGET', KEYS[6], s) or '0')
  redis.call('HDEL', KEYS[6], s)
  redis.call('ZREM', KEYS[7], s)
end
held = math.max(held, 0)
local used = {0, 0}
for w = 1, 2 do
  if lim[w] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[w], '-inf', now - win[w])
    used[w] = redis.call('ZCARD', KEYS[w])
  end
end
local paused = tonumber(redis.call('HGET', KEYS[5], 'paused_until') or '0')

local mine = 0
if saga ~= '' then mine = tonumber(redis.call('HGET', KEYS[6], saga) or '0') end
-- Calls an earlier step planned and did not spend (a poll a shared listing
-- answered) are given back: the saga needs this step's and the later ones'.
if planned and mine > keep + plan then
  held = held - (mine - keep - plan)
  mine = keep + plan
  if mine > 0 then
    redis.call('HSET', KEYS[6], saga, mine)
  else
    redis.call('HDEL', KEYS[6], saga)
    redis.call('ZREM', KEYS[7], saga)
  end
end
local covered = planned and math.min(cost, math.max(0, mine - keep)) or 0
local extra = cost - covered -- permits that go through the fair order
-- The calls to hold beyond what the saga holds already (a create's retry
-- holds nothing twice).
local add = math.max(0, hold - (mine - covered))

-- The caller's rank: the one it queued with, or a new start tag.
local rank = who ~= '' and redis.call('ZSCORE', KEYS[3], who) or false
local fresh = not rank
local start
if fresh then
  local v = tonumber(redis.call('HGET', KEYS[8], 'v:' .. lane) or '0')
  local f = tonumber(redis.call('HGET', KEYS[8], 'f:' .. lane .. ':' .. key) or '0')
  start = math.max(v, f)
  rank = lane * SPAN + start
else
  rank = tonumber(rank)
  start = rank - lane * SPAN
end
if fresh and extra > 0 then
  redis.call('HSET', KEYS[8], 'f:' .. lane .. ':' .. key, tostring(start + extra / weight))
  redis.call('EXPIRE', KEYS[8], 7200)
end
local ahead = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. rank)

-- What the caller needs of each window beyond what its saga holds: the
-- permits the plan did not count, the calls to hold, and (unless every
-- permit is held already) its place in the queue and the create reserve.
-- In the hour window every call counts the calls held for sagas in flight.
-- In the minute window a create must fit twice: in the window as it is now,
-- with the create reserve, like every call; and in the window as it will
-- stand `lead` seconds on, when its saga's next call comes at the soonest
-- (the entries older than that will have left it), with every call held for
-- a saga in flight. So creates stop while the window that their droplets'
-- next calls meet is full, and a droplet bought finds its calls' slots.
-- Counting held calls in the window as it is now would leave part of it
-- idle while sagas boot. Every other call takes its place and its permits
-- in the window as it is.
local projected = used[1]
if lane == CREATE and lim[1] > 0 then
  projected = redis.call('ZCOUNT', KEYS[1], '(' .. (now + lead - win[1]), '+inf')
end
-- Window 3 is the minute as a create's lead sees it.
local function need(w)
  if w == 1 then return cost + ahead + reserve[1] end
  if w == 3 then return cost + add + ahead end
  local n = extra + add
  if extra > 0 or add > 0 then n = n + ahead + reserve[w] end
  return n
end
local function room(w)
  if w == 1 then return lim[1] - used[1] end
  if w == 3 then return lim[1] - projected - held end
  return lim[2] - used[2] - held
end
local checks = {1, 2}
if lane == CREATE then checks = {1, 2, 3} end
-- Window 3's limit, length and entries are the minute's.
local function base(w) return w == 3 and 1 or w end
local fits = now >= paused
for _, w in ipairs(checks) do
  if lim[base(w)] > 0 and room(w) < need(w) then fits = false end
end
-- Creates are paced: in any `pace_win` seconds they take at most that part
-- of the minute's limit, so a burst from one tenant cannot spend the whole
-- minute (creates and their holds) before another tenant's first create
-- arrives. The creates queued ahead of this one count as needing as much.
local paced, pace_need = 0, 0
if lane == CREATE and pace_lim > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now - pace_win)
  paced = redis.call('ZCARD', KEYS[9])
  local ahead_creates = redis.call('ZCOUNT', KEYS[3], lane * SPAN, '(' .. rank)
  pace_need = (ahead_creates + 1) * extra
  if paced > 0 and paced + pace_need > pace_lim then fits = false end
end
if fits then
  local first
  for c = 1, cost do
    local id = redis.call('HINCRBY', KEYS[5], 'seq', 1)
    first = first or id
    for w = 1, 2 do
      if lim[w] > 0 then redis.call('ZADD', KEYS[w], now, id .. ':' .. key) end
    end
  end
  for w = 1, 2 do
    if lim[w] > 0 then redis.call('PEXPIRE', KEYS[w], math.ceil(win[w] * 1000)) end
  end
  if lane == CREATE and pace_lim > 0 then
    for c = 1, extra do
      redis.call('ZADD', KEYS[9], now, redis.call('HINCRBY', KEYS[5], 'seq', 1))
    end
    redis.call('PEXPIRE', KEYS[9], math.ceil(pace_win * 1000))
  end
  local left = mine - covered + add
  if left ~= mine then
    held = held + left - mine
    if left > 0 then
      redis.call('HSET', KEYS[6], saga, left)
      redis.call('ZADD', KEYS[7], now + hold_ttl, saga)
    else
      redis.call('HDEL', KEYS[6], saga)
      redis.call('ZREM', KEYS[7], saga)
    end
  end
  if held ~= held_before then redis.call('HSET', KEYS[5], 'held', held) end
  if who ~= '' then
    redis.call('ZREM', KEYS[3], who)
    redis.call('ZREM', KEYS[4], who)
  end
  if extra > 0 then
    -- The virtual time moves to this start tag, but never past a waiter of
    -- the lane (slack lets a later tag through first): that waiter's key
    -- keeps the turns it is owed.
    local v = tonumber(redis.call('HGET', KEYS[8], 'v:' .. lane) or '0')
    local moved = start
    local low = redis.call('ZRANGEBYSCORE', KEYS[3], lane * SPAN, '(' .. (lane + 1) * SPAN, 'WITHSCORES', 'LIMIT', 0, 1)
    if #low > 0 then moved = math.min(moved, tonumber(low[2]) - lane * SPAN) end
    if moved > v then
      redis.call('HSET', KEYS[8], 'v:' .. lane, tostring(moved))
      redis.call('EXPIRE', KEYS[8], 7200)
    end
  end
  return {1, used[2] + cost, '0', ahead, first}
end
if held ~= held_before then redis.call('HSET', KEYS[5], 'held', held) end

-- Refused. The caller's turn comes when `short` more permits have left the
-- window: the short-th oldest entry's expiry (or whole windows later).
local wait = 0
for _, w in ipairs(checks) do
  local b = base(w)
  local short = need(w) - room(w)
  if lim[b] > 0 and short > 0 then
    local k = short - 1
    -- The lead's minute counts from the first entry it keeps, and an
    -- entry leaves it `lead` seconds before it leaves the window.
    local skip, ends = 0, win[b]
    if w == 3 then skip, ends = used[1] - projected, win[1] - lead end
    local cycles, idx = math.floor(k / lim[b]), skip + k % lim[b]
    local at = cycles * win[b] + ends
    if idx < used[b] then
      local e = redis.call('ZRANGE', KEYS[b], idx, idx, 'WITHSCORES')
      at = cycles * win[b] + tonumber(e[2]) + ends - now
    end
    if w == 2 and held > 0 and short <= held then at = math.min(at, HELD_RECHECK) end
    wait = math.max(wait, at)
  end
end
if paced > 0 and paced + pace_need > pace_lim then
  -- The pace's turn: when enough of its entries have left its window.
  local idx = math.min(paced - 1, math.max(0, paced + pace_need - pace_lim - 1))
  local e = redis.call('ZRANGE', KEYS[9], idx, idx, 'WITHSCORES')
  wait = math.max(wait, tonumber(e[2]) + pace_win - now)
end
if paused > now then
  -- Out of a 429: after the pause, one caller per permit interval, by rank.
  local rate = lim[1] > 0 and win[1] / lim[1] or 0.05
  wait = math.max(wait, paused - now + (ahead + reserve[1]) * rate)
end
wait = math.max(wait, 0.05)
if who ~= '' then
  redis.call('ZADD', KEYS[3], rank, who)
  redis.call('ZADD', KEYS[4], now + wait + grace, who)
  redis.call('EXPIRE', KEYS[3], 7200)
  redis.call('EXPIRE', KEYS[4], 7200)
end
return {0, used[2], tostring(wait), ahead}
