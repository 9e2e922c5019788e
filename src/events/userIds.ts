import { createHmac } from 'node:crypto';

/**
 * How user ids look inside seqscore. Without a key, as sent. With one, each id is replaced by a
 * keyed HMAC-SHA-256 (128 bits, hex) before it touches Redis or the output topic: stable, so a
 * user's events still meet in one window, but not reversible, or even checkable against a guessed
 * id, without the key.
 */
export function userIdMapper(key: string | undefined): (userId: string) => string {
  if (key === undefined) return (userId) => userId;
  return (userId) => createHmac('sha256', key).update(userId, 'utf8').digest('hex').slice(0, 32);
}
