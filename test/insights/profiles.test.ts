import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../src/insights/profiles.js';

const HOUR = 3_600_000;
const at = (hoursAgo: number, categoryId: string | null, action = 'view') => ({
  itemId: 'i',
  categoryId,
  action,
  tsMs: 100 * HOUR - hoursAgo * HOUR,
});

describe('interest profile', () => {
  it('halves an event weight every half-life', () => {
    const profile = buildProfile([at(2, 'old'), at(0, 'new')], [0.5, -0.5], 100 * HOUR, 2 * HOUR);
    expect(profile.categories.map((c) => c.name)).toEqual(['new', 'old']);
    expect(profile.categories[0]?.weight).toBeCloseTo(1);
    expect(profile.categories[1]?.weight).toBeCloseTo(0.5);
    expect(profile.categories[0]?.share).toBeCloseTo(2 / 3);
    expect(profile.embedding).toEqual([0.5, -0.5]);
    expect(profile).toMatchObject({ events: 2, firstEventMs: 98 * HOUR, lastEventMs: 100 * HOUR });
  });

  it('lets recent events outweigh more numerous old ones', () => {
    const window = [at(48, 'A'), at(47, 'A'), at(46, 'A'), at(1, 'B', 'cart')];
    const profile = buildProfile(window, [], 100 * HOUR, 12 * HOUR);
    expect(profile.categories[0]?.name).toBe('B');
    expect(profile.actions.map((a) => a.name)).toEqual(['cart', 'view']);
  });

  it('keeps shares for a user idle far longer than the half-life, and groups missing categories', () => {
    const profile = buildProfile([at(0, 'A'), at(0, null)], [], 100 * HOUR + 3650 * 24 * HOUR, HOUR);
    expect(profile.categories.map((c) => c.weight)).toEqual([0, 0]);
    expect(profile.categories.map((c) => c.share)).toEqual([0.5, 0.5]);
    expect(profile.categories.map((c) => c.name).sort()).toEqual(['(none)', 'A']);
  });

  it('refuses an empty window or a half-life of 0', () => {
    expect(() => buildProfile([], [], 0, HOUR)).toThrow(/at least one event/);
    expect(() => buildProfile([at(0, 'A')], [], 0, 0)).toThrow(/half-life/);
  });
});
