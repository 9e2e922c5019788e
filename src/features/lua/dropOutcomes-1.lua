--[[
  Drops the outcomes (scores) a user's state holds once they are published, if the state is still
  the one the commit wrote: same version and same length, since dropping them keeps the version
  and shortens the state. The caller sends where they lie instead of the whole state again; see
  withoutOutcomes in src/features/userState.ts, which makes the same cut.

  KEYS[1] the user's state
  ARGV[1] the version the commit wrote (the first five bytes)
  ARGV[2] the length of the state the commit wrote
  ARGV[3] where the outcomes start: the byte offset of their count
  ARGV[4] where they end (exclusive)
  ARGV[5] retention in ms, renewed as by a commit

  Returns 1 when dropped, 0 when the state has changed since the commit.
]]
local state = redis.call('GET', KEYS[1])
if not state or #state ~= tonumber(ARGV[2]) or string.sub(state, 1, 5) ~= ARGV[1] then return 0 end
local kept = string.sub(state, 1, tonumber(ARGV[3])) .. '\0\0' .. string.sub(state, tonumber(ARGV[4]) + 1)
redis.call('SET', KEYS[1], kept, 'PX', ARGV[5])
return 1
