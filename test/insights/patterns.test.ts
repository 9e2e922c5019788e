import { describe, expect, it } from 'vitest';
import { findPatterns, stagesReached } from '../../src/insights/patterns.js';
import { event, smallShop } from './fixtures.js';

const funnel = ['view', 'cart', 'purchase'];

describe('funnel', () => {
  it('counts a stage only after the earlier stages, in time order', () => {
    expect(stagesReached([{ action: 'view' }, { action: 'cart' }, { action: 'purchase' }], funnel)).toBe(3);
    // The cart before the view does not count, so the purchase has no cart before it.
    expect(stagesReached([{ action: 'cart' }, { action: 'view' }, { action: 'purchase' }], funnel)).toBe(1);
    expect(stagesReached([{ action: 'purchase' }, { action: 'cart' }], funnel)).toBe(0);
  });

  it('counts users overall and user-category pairs per category', () => {
    const patterns = findPatterns(smallShop(), { funnel });
    // All four view; u1 and u4 cart after viewing; only u1 buys after a cart (u2 buys without one).
    expect(patterns.funnel.stages.map((s) => s.count)).toEqual([4, 2, 1]);
    expect(patterns.funnel.stages[1]?.fromPrevious).toBeCloseTo(0.5);
    expect(patterns.funnel.stages[2]?.fromFirst).toBeCloseTo(0.25);
    const a = patterns.categoryFunnels.find((f) => f.name === 'A');
    expect(a?.stages.map((s) => s.count)).toEqual([3, 1, 1]);
    // Largest first: A and B have three viewers each, C one.
    expect(patterns.categoryFunnels.map((f) => f.name)).toEqual(['A', 'B', 'C']);
  });
});

describe('transitions', () => {
  it('counts consecutive actions within sessions only, with support and confidence', () => {
    const patterns = findPatterns(smallShop(), { funnel });
    const { actions, counts } = patterns.transitions;
    const count = (from: string, to: string) => counts[actions.indexOf(from)]?.[actions.indexOf(to)];
    // u2's purchase is 95 minutes after its view: a new session, so no view -> purchase transition.
    expect(count('view', 'purchase')).toBe(0);
    expect(count('view', 'view')).toBe(3);
    expect(count('view', 'cart')).toBe(2);
    expect(count('cart', 'purchase')).toBe(1);
    const total = counts.flat().reduce((x, y) => x + y, 0);
    expect(total).toBe(6);
    const top = patterns.transitions.top[0];
    expect(top).toMatchObject({ from: 'view', to: 'view', count: 3 });
    expect(top?.support).toBeCloseTo(3 / 6);
    expect(top?.confidence).toBeCloseTo(3 / 5);
  });
});

describe('category sequences', () => {
  it('gives support over sessions and confidence over the prefix, merging repeats', () => {
    const events = [
      event('a', 0, 'view', 'x', 'A'),
      event('a', 1, 'view', 'x', 'A'),
      event('a', 2, 'view', 'y', 'B'),
      event('b', 0, 'view', 'x', 'A'),
      event('b', 1, 'view', 'y', 'B'),
      event('c', 0, 'view', 'x', 'A'),
      event('c', 1, 'view', 'z', 'C'),
      event('d', 0, 'view', 'z', 'C'),
    ];
    const patterns = findPatterns(events, { funnel, minSupport: 0 });
    const ab = patterns.sequences.find((s) => s.categories.join() === 'A,B');
    // Four sessions; A -> B in two; A in three.
    expect(ab).toMatchObject({ sessions: 2 });
    expect(ab?.support).toBeCloseTo(2 / 4);
    expect(ab?.confidence).toBeCloseTo(2 / 3);
    // A -> C occurs once, below the least count of two sessions.
    expect(patterns.sequences.some((s) => s.categories.join() === 'A,C')).toBe(false);
    expect(patterns.sequences.some((s) => s.categories.join() === 'A,A')).toBe(false);
  });
});

describe('sessions', () => {
  it('splits at gaps over 30 minutes', () => {
    const { sessions, summary } = findPatterns(smallShop(), { funnel });
    expect(sessions.sessions).toBe(5);
    expect(sessions.convertingShare).toBeCloseTo(2 / 5);
    expect(sessions.sessionsPerUser.max).toBe(2);
    expect(sessions.eventsPerSession.max).toBe(4);
    expect(sessions.durationSeconds.max).toBe(300);
    expect(summary).toMatchObject({ events: 11, users: 4, items: 4, categories: 3 });
  });
});
