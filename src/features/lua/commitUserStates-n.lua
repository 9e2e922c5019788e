--[[
  Writes users' states, each only if it is still the version the caller read (compare and set). A
  state is one string whose first five bytes are its version (format and commit sequence number);
  see src/features/userState.ts. Everything else about a state is decided by the caller.

  It takes any number of users, so that a micro-batch's commits are one call: a call per user cost
  the worker about 5 µs and Redis about 2 µs more per user (ioredis's objects for each command,
  Redis's dispatch of each call). Users are independent of each other: each key is read and written
  alone, so a Redis Cluster client can send the users of each slot in calls of their own.

  KEYS[i]       user i's state
  ARGV[2i - 1]  the version read for user i: its first five bytes, or '' when it had no state
  ARGV[2i]      user i's new state
  ARGV[#ARGV]   retention in ms, renewed by every commit

  Returns, for each user in order, 1 when written; otherwise the current state (nil when there is
  none), so that the caller can decide again without another read.
]]
local ttl = ARGV[#ARGV]
local results = {}
for i, key in ipairs(KEYS) do
  if redis.call('GETRANGE', key, 0, 4) == ARGV[2 * i - 1] then
    redis.call('SET', key, ARGV[2 * i], 'PX', ttl)
    results[i] = 1
  else
    -- GET gives false for no state, not nil, which would end the reply's array there.
    results[i] = redis.call('GET', key)
  end
end
return results
