--[[
  Drops the outcomes (scores) users' states hold once they are published, for each user whose state
  is still the one the commit wrote: same version and same length, since dropping them keeps the
  version and shortens the state. The caller sends where they lie instead of the whole state again;
  see withoutOutcomes in src/features/userState.ts, which makes the same cut. Any number of users,
  each key read and written alone, as in commitUserStates-n.lua.

  KEYS[i]       user i's state
  ARGV[4i - 3]  the version the commit wrote (the first five bytes)
  ARGV[4i - 2]  the length of the state the commit wrote
  ARGV[4i - 1]  where the outcomes start: the byte offset of their count
  ARGV[4i]      where they end (exclusive)
  ARGV[#ARGV]   retention in ms, renewed as by a commit

  Returns, for each user in order, 1 when dropped, 0 when the state has changed since the commit.
]]
local ttl = ARGV[#ARGV]
local results = {}
for i, key in ipairs(KEYS) do
  local at = 4 * (i - 1)
  local state = redis.call('GET', key)
  if state and #state == tonumber(ARGV[at + 2]) and string.sub(state, 1, 5) == ARGV[at + 1] then
    local kept = string.sub(state, 1, tonumber(ARGV[at + 3])) .. '\0\0' .. string.sub(state, tonumber(ARGV[at + 4]) + 1)
    redis.call('SET', key, kept, 'PX', ttl)
    results[i] = 1
  else
    results[i] = 0
  end
end
return results
