--[[
  Appends one event to a user's rolling window, unless its eventId was seen before.

  Input:
    KEYS[1] window     list, oldest entry first; each entry an encoded event
    KEYS[2] seen ids   sorted set: eventId -> per-user sequence number of its append

    ARGV[1] eventId
    ARGV[2] encoded entry
    ARGV[3] window size: entries kept
    ARGV[4] seen ids kept (at least the window size)
    ARGV[5] retention in milliseconds, renewed on every append

  Output: { status, entries }
     1  appended; entries = the window now, ending with this event
     0  duplicate; entries = the retained part of the window up to and including that event,
        so a replayed event is scored on the history it was first scored on
    -1  duplicate whose event has already left the window; entries = {}
]]
local windowKey = KEYS[1]
local seenKey = KEYS[2]
local eventId = ARGV[1]
local windowSize = tonumber(ARGV[3])
local seenCapacity = tonumber(ARGV[4])
local ttlMs = tonumber(ARGV[5])

local function lastSequence()
  local newest = redis.call('ZRANGE', seenKey, -1, -1, 'WITHSCORES')
  if newest[2] then return tonumber(newest[2]) end
  return 0
end

local seenAt = redis.call('ZSCORE', seenKey, eventId)
if seenAt then
  local newerEvents = lastSequence() - tonumber(seenAt)
  local length = redis.call('LLEN', windowKey)
  if newerEvents >= length then return { -1, {} } end
  return { 0, redis.call('LRANGE', windowKey, 0, length - 1 - newerEvents) }
end

redis.call('ZADD', seenKey, lastSequence() + 1, eventId)
redis.call('ZREMRANGEBYRANK', seenKey, 0, -(seenCapacity + 1))
redis.call('RPUSH', windowKey, ARGV[2])
redis.call('LTRIM', windowKey, -windowSize, -1)
redis.call('PEXPIRE', windowKey, ttlMs)
redis.call('PEXPIRE', seenKey, ttlMs)
return { 1, redis.call('LRANGE', windowKey, 0, -1) }
