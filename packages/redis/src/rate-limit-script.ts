/**
 * The rate-limit decision as one Lua script: every key of an operation is read, decided and
 * written inside one `EVALSHA`, so concurrent decisions from any number of servers never
 * over-admit (Redis runs a script atomically), and a decision costs one round trip.
 *
 * The arithmetic mirrors `@bulwark/rate-limit`'s in-memory algorithms step for step (sliding
 * window counter, GCRA token bucket, jail by strikes); a shared conformance suite pins both.
 *
 * KEYS: the state keys. ARGV[1]: now (ms). Then 8 values per key: cost, limit, window (ms),
 * algorithm (`s` sliding window, `t` token bucket), jail after (0: no jail), jail within (ms),
 * jail for (ms), reported strikes.
 *
 * State (a string, `SET ... PX`): `start prev curr tat jailedUntil strike1 strike2 ...`.
 * Reply: 5 integers per key: allowed (0/1), remaining, resetAt, retryAfterMs, jailedUntil (0).
 */
export const RATE_LIMIT_SCRIPT = `
local EPS = 1e-9
local now = tonumber(ARGV[1])
local n = #KEYS

local function parse(raw)
  local s = { start = 0, prev = 0, curr = 0, tat = 0, jailed = 0, strikes = {} }
  if not raw then return s end
  local f = {}
  for token in string.gmatch(raw, '[^ ]+') do f[#f + 1] = tonumber(token) end
  s.start = f[1] or 0
  s.prev = f[2] or 0
  s.curr = f[3] or 0
  s.tat = f[4] or 0
  s.jailed = f[5] or 0
  for j = 6, #f do s.strikes[#s.strikes + 1] = f[j] end
  return s
end

local function fmt(x) return string.format('%.17g', x) end

local function serialize(s)
  local parts = { fmt(s.start), fmt(s.prev), fmt(s.curr), fmt(s.tat), fmt(s.jailed) }
  for _, t in ipairs(s.strikes) do parts[#parts + 1] = fmt(t) end
  return table.concat(parts, ' ')
end

local function sliding(s, cost, limit, win)
  local start, prev, curr = s.start, s.prev, s.curr
  local aligned = math.floor(now / win) * win
  if aligned > start then
    if aligned - start == win then prev = curr else prev = 0 end
    curr = 0
    start = aligned
  end
  local elapsed = math.max(0, now - start)
  local used = (prev * (win - elapsed)) / win + curr
  if used + cost <= limit + EPS then
    local reset
    if curr + cost > 0 then reset = start + 2 * win elseif prev > 0 then reset = start + win else reset = now end
    return {
      ok = true,
      remaining = math.max(0, math.floor(limit - (used + cost) + EPS)),
      remaining_now = math.max(0, math.floor(limit - used + EPS)),
      reset = reset,
      retry = 0,
      charge = function(st) st.start = start; st.prev = prev; st.curr = curr + cost end,
    }
  end
  local remaining = math.max(0, math.floor(limit - used + EPS))
  local reset
  if curr > 0 then reset = start + 2 * win else reset = start + win end
  local retry_at
  if cost > limit then
    retry_at = now + win
  else
    local room = limit - cost - curr
    if room >= 0 and prev > 0 then
      retry_at = start + win - (win * room) / prev
    else
      retry_at = start + 2 * win - (win * (limit - cost)) / curr
      if retry_at < start + win then retry_at = start + win end
    end
  end
  return {
    ok = false, remaining = remaining, remaining_now = remaining, reset = reset,
    retry = math.max(1, math.ceil(retry_at - now)),
  }
end

local function bucket(s, cost, limit, win)
  local interval = win / limit
  local tat = math.max(s.tat, now)
  local nxt = tat + cost * interval
  if nxt - now <= win + EPS then
    return {
      ok = true,
      remaining = math.max(0, math.floor((win - (nxt - now)) / interval + EPS)),
      remaining_now = math.max(0, math.floor((win - (tat - now)) / interval + EPS)),
      reset = nxt,
      retry = 0,
      charge = function(st) st.tat = nxt end,
    }
  end
  local retry_at
  if cost > limit then retry_at = now + win else retry_at = nxt - win end
  local remaining = math.max(0, math.floor((win - (tat - now)) / interval + EPS))
  return {
    ok = false, remaining = remaining, remaining_now = remaining, reset = tat,
    retry = math.max(1, math.ceil(retry_at - now)),
  }
end

local function strike(s, count, after, within, jail_for)
  if after <= 0 or count <= 0 then return 0 end
  local kept = {}
  for _, t in ipairs(s.strikes) do
    if t > now - within then kept[#kept + 1] = t end
  end
  local i = 0
  while i < count and #kept < after do
    kept[#kept + 1] = now
    i = i + 1
  end
  if #kept >= after then
    s.strikes = {}
    s.jailed = now + jail_for
    return s.jailed
  end
  local from = math.max(1, #kept - after + 1)
  local last = {}
  for j = from, #kept do last[#last + 1] = kept[j] end
  s.strikes = last
  return 0
end

local function lifetime(s, win, within)
  local until_ = math.max(s.jailed, s.tat)
  if s.curr > 0 then until_ = math.max(until_, s.start + 2 * win)
  elseif s.prev > 0 then until_ = math.max(until_, s.start + win) end
  local last = s.strikes[#s.strikes]
  if last and within > 0 then until_ = math.max(until_, last + within) end
  return math.max(0, until_ - now)
end

local states, evals, params = {}, {}, {}
local all = true
for i = 1, n do
  local b = 2 + (i - 1) * 8
  local p = {
    cost = tonumber(ARGV[b]), limit = tonumber(ARGV[b + 1]), win = tonumber(ARGV[b + 2]),
    alg = ARGV[b + 3], after = tonumber(ARGV[b + 4]), within = tonumber(ARGV[b + 5]),
    jail_for = tonumber(ARGV[b + 6]), strikes = tonumber(ARGV[b + 7]),
  }
  local s = parse(redis.call('GET', KEYS[i]))
  local e
  if s.jailed > now then
    e = { ok = false, remaining = 0, remaining_now = 0, reset = s.jailed, retry = s.jailed - now }
  elseif p.alg == 't' then
    e = bucket(s, p.cost, p.limit, p.win)
  else
    e = sliding(s, p.cost, p.limit, p.win)
  end
  if not e.ok then all = false end
  states[i], evals[i], params[i] = s, e, p
end

local reply = {}
for i = 1, n do
  local s, e, p = states[i], evals[i], params[i]
  local was_jailed = s.jailed > now
  local dirty = false
  if all then
    e.charge(s)
    dirty = true
  end
  local remaining = e.remaining_now
  if all then remaining = e.remaining end
  local reset = e.reset
  local retry = e.retry
  if not was_jailed then
    local count = math.max(0, p.strikes)
    if not e.ok then count = count + 1 end
    if p.after > 0 and count > 0 then
      dirty = true
      local jailed = strike(s, count, p.after, p.within, p.jail_for)
      if jailed > 0 then
        remaining = 0
        reset = math.max(reset, jailed)
        if not e.ok then retry = jailed - now end
      end
    end
  end
  if dirty then
    local ttl = math.ceil(lifetime(s, p.win, p.within)) + 1000
    redis.call('SET', KEYS[i], serialize(s), 'PX', ttl)
  end
  local jailed_until = 0
  if s.jailed > now then jailed_until = s.jailed end
  local base = (i - 1) * 5
  if e.ok then reply[base + 1] = 1 else reply[base + 1] = 0 end
  reply[base + 2] = remaining
  reply[base + 3] = math.ceil(reset)
  reply[base + 4] = retry
  reply[base + 5] = jailed_until
end
return reply
`;
