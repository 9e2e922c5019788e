import type { Redis } from 'ioredis';

/** Every key under `prefix`, a SCAN page at a time (never KEYS, which blocks a shared Redis). */
async function forEachKeyPage(redis: Redis, prefix: string, onPage: (keys: string[]) => Promise<void>) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await onPage(keys);
  } while (cursor !== '0');
}

/** The sum of MEMORY USAGE over the keys under `prefix` (the value, key name and overhead of each). */
export async function keyBytes(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  await forEachKeyPage(redis, prefix, async (page) => {
    const pipeline = redis.pipeline();
    for (const key of page) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    for (const [error, usage] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      // A key that expired between SCAN and MEMORY USAGE answers null.
      if (typeof usage === 'number') {
        keys++;
        bytes += usage;
      }
    }
  });
  return { keys, bytes };
}

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  await forEachKeyPage(redis, prefix, async (page) => {
    deleted += await redis.unlink(...page);
  });
  return deleted;
}

/** Redis's own CPU time (user and system, main process) in seconds, from an INFO reply with the cpu section. */
export function usedCpuSeconds(info: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}
