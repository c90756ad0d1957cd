import type Redis from 'ioredis'

/**
 * KEYS[1] stream, ARGV group, idle ms, a name to keep: deletes the group's consumers that hold
 * no pending entry and have been idle that long; returns their names. Check and delete are one
 * script, so no entry can be delivered to a consumer between the two (XGROUP DELCONSUMER drops
 * whatever the consumer has pending).
 */
const SWEEP = `
local removed = {}
for _, flat in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #flat, 2 do info[flat[i]] = flat[i + 1] end
  if info['pending'] == 0 and info['idle'] >= tonumber(ARGV[2]) and info['name'] ~= ARGV[3] then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    table.insert(removed, info['name'])
  end
end
return removed`

/**
 * Removes the consumers a group accumulates as replicas restart under new names (each process
 * names its consumer afresh). Only those with nothing pending: a consumer that owns no entry
 * loses nothing by going, and a live one that happened to be idle is made again by Redis on its
 * next read that delivers, a read already blocked included. Entries a dead consumer left
 * pending are reclaimed first (XAUTOCLAIM), after which it too has none.
 */
export async function sweepIdleConsumers(
  redis: Redis,
  stream: string,
  group: string,
  idleMs: number,
  keep: string,
): Promise<string[]> {
  return (await redis.eval(SWEEP, 1, stream, group, idleMs, keep)) as string[]
}
