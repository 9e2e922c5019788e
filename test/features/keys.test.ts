import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { userStateKey } from '../../src/features/keys.js';

describe('user keys on Redis Cluster', () => {
  it('puts a user in the slot of their id alone, whatever the key prefix', () => {
    for (const userId of ['42', 'u-7', '9f3b2c1d0e', 'user:with:colons', 'ünïcode']) {
      for (const prefix of ['seqscore', 'tenant-a', 'it-scale-1'])
        expect(calculateSlot(userStateKey(prefix, userId)), `${prefix} ${userId}`).toBe(
          calculateSlot(userId),
        );
    }
  });

  it('spreads users over the slots', () => {
    const slots = new Set(
      Array.from({ length: 1_000 }, (_, i) => calculateSlot(userStateKey('seqscore', `user-${i}`))),
    );
    expect(slots.size).toBeGreaterThan(900);
  });
});
