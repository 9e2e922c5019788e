--[[
  Moves the pointer to the model version that workers serve, and announces the move, in one atomic
  step: a promotion decided against one champion cannot overwrite a pointer that someone else moved
  in the meantime, and no worker can miss a move that happened.

  Input:
    KEYS[1] current   string: the version workers serve
    KEYS[2] history   list: the versions that were current before, newest first

    ARGV[1] mode      'promote' or 'rollback'
    ARGV[2] version   promote: the version to make current
    ARGV[3] expected  promote: the current version the caller decided against ('' = none yet),
                      or '*' to promote whatever is current
    ARGV[4] channel   where the new current version is published
    ARGV[5] kept      most entries kept in history

  Output: { status, current }
    status 1  moved; current = the new current version
    status 0  refused: promote, the current version is not `expected`; rollback, the history is
              empty. current = the current version ('' = none)
    status 2  promote of the version already current: nothing changed
]]
local currentKey, historyKey = KEYS[1], KEYS[2]
local mode, version, expected, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local kept = tonumber(ARGV[5])
local current = redis.call('GET', currentKey) or ''

if mode == 'promote' then
  if expected ~= '*' and current ~= expected then return { 0, current } end
  if current == version then return { 2, current } end
  if current ~= '' then
    redis.call('LPUSH', historyKey, current)
    redis.call('LTRIM', historyKey, 0, kept - 1)
  end
  redis.call('SET', currentKey, version)
  redis.call('PUBLISH', channel, version)
  return { 1, version }
end

if mode == 'rollback' then
  local previous = redis.call('LPOP', historyKey)
  if not previous then return { 0, current } end
  redis.call('SET', currentKey, previous)
  redis.call('PUBLISH', channel, previous)
  return { 1, previous }
end

return redis.error_reply('moveCurrentModel: unknown mode ' .. tostring(mode))
