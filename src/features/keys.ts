/**
 * Redis key names. Each user's keys share the hash tag `{userId}`, so on Redis Cluster they land in
 * one slot and a script may touch them together.
 */
export interface UserKeys {
  window: string;
  seen: string;
}

export function userKeys(prefix: string, userId: string): UserKeys {
  const base = `${prefix}:u:{${userId}}`;
  return { window: `${base}:win`, seen: `${base}:seen` };
}
