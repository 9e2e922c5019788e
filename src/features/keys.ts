/**
 * Redis key names. A user's state is one key whose hash tag is `{userId}`, so on Redis Cluster each
 * user's key lands in a slot of its own choosing and users spread over the shards.
 */
export function userStateKey(prefix: string, userId: string): string {
  return `${prefix}:u:{${userId}}`;
}
