import { describe, expect, it } from 'vitest';
import { userIdMapper } from '../../src/events/userIds.js';

describe('userIdMapper', () => {
  it('leaves ids alone without a key', () => {
    expect(userIdMapper(undefined)('u42')).toBe('u42');
  });

  it('maps each id to a stable keyed pseudonym that differs per key', () => {
    const a = userIdMapper('k'.repeat(32));
    const b = userIdMapper('j'.repeat(32));
    expect(a('u42')).toMatch(/^[0-9a-f]{32}$/);
    expect(a('u42')).toBe(a('u42'));
    expect(a('u42')).not.toBe(a('u43'));
    expect(a('u42')).not.toBe(b('u42'));
    expect(a('u42')).not.toContain('u42');
  });
});
