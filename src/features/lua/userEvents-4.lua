--[[
  Applies one user's events from a micro-batch to that user's state. One code path, two modes:
  'plan' works out every event's outcome and writes nothing; 'commit' makes the same changes and
  stores each new event's score with them, but only if the state is still the version the plan read.
  A score is thus stored in the same atomic step as the window change it was computed on, and a
  replayed event gets that stored score back rather than a new one computed on a changed window.

  Input:
    KEYS[1] window    list of encoded entries ordered by event time, equal times in arrival order;
                      an entry is a JSON array whose last element is the event time in integer ms
    KEYS[2] seen      sorted set: eventId -> per-user sequence number; the last ARGV[4] ids
    KEYS[3] outcomes  hash: eventId -> what was stored for that id: its score, or a lateness record
    KEYS[4] meta      hash: seq        last sequence number, which is also the state's version
                            newest     greatest event time applied
                            o:<source> greatest input offset seen from that topic partition

    ARGV[1] mode            'plan' or 'commit'
    ARGV[2] version         commit: the version the plan returned; plan: ignored
    ARGV[3] window size     entries kept
    ARGV[4] ids remembered  with their outcomes (never fewer than one call adds)
    ARGV[5] retention ms    renewed on every commit
    ARGV[6] lateness ms     an event older than the user's newest by more than this is too late
    ARGV[7] source          the input topic partition of the events, e.g. "user-events:3"
    ARGV[8..] five per event, in input order, eventIds unique within a call:
              eventId, offset, event time ms, encoded entry, outcome to store if new (commit only)

  Output:
    plan:   { version, results }, one result per event:
              { 1, history, placed }  new: history = the window up to and including the event (at
                                      most window size entries); placed = 1 when it was inserted
                                      before newer events (it arrived out of order), else 0
              { 2, outcome }          the eventId is remembered; outcome = what was stored for it
              { 3 }                   its offset was seen already but the id is forgotten: skip it
              { 4, record }           too late, not applied; record = "late:lateness:<newest ms>"
                                      or "late:window:<oldest ms of the full window>"
    commit: 1 when committed, 0 when the state has changed since the plan (plan again)
]]
local windowKey, seenKey, outcomesKey, metaKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local commit = ARGV[1] == 'commit'
local windowSize = tonumber(ARGV[3])
local remembered = tonumber(ARGV[4])
local ttlMs = tonumber(ARGV[5])
local latenessMs = tonumber(ARGV[6])
local offsetField = 'o:' .. ARGV[7]

-- Lua 5.1 prints large numbers in exponent form; Redis fields and versions need plain integers.
local function integer(n) return string.format('%d', n) end

-- unpack() is bounded by the Lua stack, and the window size may be set to thousands.
local function callChunked(command, key, values)
  for first = 1, #values, 1000 do
    redis.call(command, key, unpack(values, first, math.min(first + 999, #values)))
  end
end

local meta = redis.call('HMGET', metaKey, 'seq', 'newest', offsetField)
local seq = tonumber(meta[1]) or 0
local version = seq
if commit and integer(version) ~= ARGV[2] then return 0 end
local newest = tonumber(meta[2])
local offsetSeen = tonumber(meta[3]) or -1

local entries = redis.call('LRANGE', windowKey, 0, -1)
local times = {}
for i = 1, #entries do times[i] = tonumber(string.match(entries[i], ',(%-?%d+)%]$')) end

local results = {}
local recorded = {}
for i = 8, #ARGV, 5 do
  local eventId, offset, ts = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local stored = redis.call('HGET', outcomesKey, eventId)
  if stored then
    results[#results + 1] = { 2, stored }
  elseif offset <= offsetSeen then
    results[#results + 1] = { 3 }
  else
    seq = seq + 1
    local late
    if newest and ts < newest - latenessMs then
      late = 'late:lateness:' .. integer(newest)
    elseif #entries >= windowSize and ts < times[1] then
      late = 'late:window:' .. integer(times[1])
    end
    if late then
      results[#results + 1] = { 4, late }
      recorded[#recorded + 1] = { eventId, seq, late }
    else
      local position = #entries + 1
      while position > 1 and times[position - 1] > ts do position = position - 1 end
      local placed = position <= #entries and 1 or 0
      table.insert(entries, position, ARGV[i + 3])
      table.insert(times, position, ts)
      local history = {}
      for j = math.max(1, position - windowSize + 1), position do history[#history + 1] = entries[j] end
      if #entries > windowSize then
        table.remove(entries, 1)
        table.remove(times, 1)
      end
      if not newest or ts > newest then newest = ts end
      results[#results + 1] = { 1, history, placed }
      recorded[#recorded + 1] = { eventId, seq, ARGV[i + 4] }
    end
  end
  if offset > offsetSeen then offsetSeen = offset end
end

if not commit then return { version, results } end

if #recorded > 0 then
  redis.call('DEL', windowKey)
  callChunked('RPUSH', windowKey, entries)
  for _, record in ipairs(recorded) do
    redis.call('ZADD', seenKey, record[2], record[1])
    redis.call('HSET', outcomesKey, record[1], record[3])
  end
  -- What this call recorded is never forgotten in the same call: its scores are not published yet.
  local excess = redis.call('ZCARD', seenKey) - math.max(remembered, #recorded)
  if excess > 0 then
    callChunked('HDEL', outcomesKey, redis.call('ZRANGE', seenKey, 0, excess - 1))
    redis.call('ZREMRANGEBYRANK', seenKey, 0, excess - 1)
  end
end
redis.call('HSET', metaKey, 'seq', integer(seq), offsetField, integer(offsetSeen))
if newest then redis.call('HSET', metaKey, 'newest', integer(newest)) end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttlMs) end
return 1
