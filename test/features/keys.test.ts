import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { allUserKeys, userKeys } from '../../src/features/keys.js';

describe('user keys on Redis Cluster', () => {
  it("puts all of a user's keys in one slot, so one script can touch them together", () => {
    for (const userId of ['42', 'u-7', '9f3b2c1d0e', 'user:with:colons', 'ünïcode']) {
      const slots = new Set(allUserKeys(userKeys('seqscore', userId)).map((key) => calculateSlot(key)));
      expect(slots.size, userId).toBe(1);
    }
  });

  it('spreads users over the slots: the slot follows the user, not the key prefix', () => {
    const slots = new Set(
      Array.from({ length: 1_000 }, (_, i) => calculateSlot(userKeys(`tenant-${i % 3}`, `user-${i}`).window)),
    );
    expect(slots.size).toBeGreaterThan(900);
  });
});
