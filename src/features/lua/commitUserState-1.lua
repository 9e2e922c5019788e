--[[
  Writes one user's state if it is still the version the caller read (compare and set). The state
  is one string whose first five bytes are its version (format and commit sequence number); see
  src/features/userState.ts. Everything else about the state is decided by the caller.

  KEYS[1] the user's state
  ARGV[1] the version read: the first five bytes, or '' when the user had no state
  ARGV[2] the new state
  ARGV[3] retention in ms, renewed by every commit

  Returns 1 when written; otherwise the current state (nil when there is none), so that the caller
  can decide again without another read.
]]
local current = redis.call('GETRANGE', KEYS[1], 0, 4)
if current ~= ARGV[1] then return redis.call('GET', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
