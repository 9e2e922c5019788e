/**
 * Redis key names. Each user's keys share the hash tag `{userId}`, so on Redis Cluster they land in
 * one slot and a script may touch them together.
 */
export interface UserKeys {
  window: string;
  seen: string;
  outcomes: string;
  meta: string;
}

export function userKeys(prefix: string, userId: string): UserKeys {
  const base = `${prefix}:u:{${userId}}`;
  return { window: `${base}:win`, seen: `${base}:seen`, outcomes: `${base}:out`, meta: `${base}:meta` };
}

/** Every key that holds something about one user, for erasure. */
export function allUserKeys(keys: UserKeys): string[] {
  return [keys.window, keys.seen, keys.outcomes, keys.meta];
}
