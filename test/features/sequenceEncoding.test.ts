import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { eventSteps } from '../../src/features/historySteps.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import {
  encodeHistories,
  encodeSequences,
  STEP_NUMERIC_FEATURES,
  scaledGap,
  utcHour,
} from '../../src/features/sequenceEncoding.js';

const vocabularies = {
  actions: new ActionVocabulary(['view', 'cart', 'fav', 'purchase']),
  items: new IdVocabulary(['a', 'b'], 3),
  categories: new IdVocabulary(['c'], 2),
};
const at = (itemId: string, action: string, seconds: number) => ({
  itemId,
  categoryId: 'c',
  action,
  tsMs: seconds * 1000,
});

describe('encodeSequences', () => {
  it('left-pads to the longest sequence, with 0 for padding in every id and in the mask', () => {
    const batch = encodeSequences(
      [[at('a', 'view', 0), at('b', 'cart', 10), at('a', 'purchase', 70)], [at('b', 'fav', 5)]],
      vocabularies,
      50,
    );
    expect(batch.length).toBe(3);
    expect([...batch.actions]).toEqual([1, 2, 4, 0, 0, 3]);
    expect([...batch.items]).toEqual([1, 2, 1, 0, 0, 2]);
    expect([...batch.mask]).toEqual([1, 1, 1, 0, 0, 1]);
    expect([...batch.itemKeys]).toEqual([1, 2, 1, 0, 0, 1]);
    expect([...batch.hours]).toEqual([1, 1, 1, 0, 0, 1]);
    expect([...batch.secondsBeforeLast.slice(0, 3)]).toEqual([-70, -60, 0]);
    expect(batch.numeric[1 * STEP_NUMERIC_FEATURES]).toBeCloseTo(Math.log1p(10) / 12, 6);
    expect(batch.numeric[2 * STEP_NUMERIC_FEATURES + 1]).toBeCloseTo(Math.log1p(3) / 4, 6);
  });

  it('keeps only the last maxLength events, with the gap to the dropped predecessor', () => {
    const batch = encodeSequences(
      [[at('a', 'view', 0), at('a', 'cart', 100), at('b', 'fav', 200)]],
      vocabularies,
      2,
    );
    expect([...batch.actions]).toEqual([2, 3]);
    expect(batch.numeric[0]).toBeCloseTo(scaledGap(0, 100_000), 6);
  });

  it('starts a new session after a 30-minute gap', () => {
    const batch = encodeSequences(
      [[at('a', 'view', 0), at('a', 'view', 60), at('a', 'view', 60 + 31 * 60)]],
      vocabularies,
      5,
    );
    const positions = [0, 1, 2].map((i) =>
      Math.round(Math.expm1((batch.numeric[i * STEP_NUMERIC_FEATURES + 1] as number) * 4)),
    );
    expect(positions).toEqual([1, 2, 1]);
  });

  it('counts the events of the last hour and day and times the session, from before the window too', () => {
    const hour = 3600;
    const batch = encodeSequences(
      [
        [
          at('a', 'view', 0),
          at('a', 'view', 20 * hour),
          at('b', 'view', 23 * hour),
          at('b', 'cart', 23 * hour + 600),
          at('a', 'view', 25 * hour),
        ],
      ],
      vocabularies,
      3,
    );
    const feature = (step: number, index: number) =>
      batch.numeric[step * STEP_NUMERIC_FEATURES + index] as number;
    const counts = [0, 1, 2].map((step) => [2, 3].map((i) => Math.round(Math.expm1(feature(step, i) * 4))));
    // Window: 23 h, 23 h 10 min, 25 h; the day before each reaches back to events outside it.
    expect(counts).toEqual([
      [1, 3],
      [2, 4],
      [1, 4],
    ]);
    const sessionSeconds = [0, 1, 2].map((step) => Math.round(Math.expm1(feature(step, 4) * 12)));
    expect(sessionSeconds).toEqual([0, 600, 0]);
  });

  it('treats out-of-order events as simultaneous and refuses unknown actions', () => {
    expect(scaledGap(10_000, 5_000)).toBe(0);
    expect(() => encodeSequences([[at('a', 'share', 0)]], vocabularies, 5)).toThrow(/vocabulary/);
  });

  it('reads the UTC hour as Date does, before and after 1970', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (tsMs) => {
        expect(utcHour(tsMs)).toBe(new Date(tsMs).getUTCHours());
      }),
    );
  });

  it('numbers the distinct items of each row by first appearance, frequent or sharing a bucket, batch after batch', () => {
    // Three buckets for the rare items x, y, z and w: some share one. The same vocabulary serves
    // every run, as it does every batch of a worker.
    const item = fc.constantFrom('a', 'b', 'x', 'y', 'z', 'w');
    fc.assert(
      fc.property(
        fc.array(fc.array(item, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 40 }),
        (rows, maxLength) => {
          const histories = rows.map((items) => items.map((itemId, i) => at(itemId, 'view', i)));
          const batch = encodeSequences(histories, vocabularies, maxLength);
          histories.forEach((history, row) => {
            const kept = history.slice(-maxLength);
            const firstSeen: string[] = [];
            const expected = kept.map(({ itemId }) => {
              if (!firstSeen.includes(itemId)) firstSeen.push(itemId);
              return firstSeen.indexOf(itemId) + 1;
            });
            const rowEnd = (row + 1) * batch.length;
            expect(Array.from(batch.itemKeys.subarray(rowEnd - kept.length, rowEnd))).toEqual(expected);
          });
        },
      ),
    );
  });

  it('with last-step features, matches the full encoding at each last step and in every id column', () => {
    // Gaps from simultaneous to over a day, so sessions, hours and days all start and end, some exactly
    // at their limits.
    const gap = fc.oneof(
      fc.constant(0),
      fc.constantFrom(1_800, 3_600, 86_400),
      fc.integer({ min: 1, max: 1_800 }),
      fc.integer({ min: 1_801, max: 200_000 }),
    );
    const history = fc
      .array(
        fc.record({
          item: fc.constantFrom('a', 'b', 'x', 'y'),
          action: fc.constantFrom('view', 'cart'),
          gap,
        }),
        {
          minLength: 1,
          maxLength: 120,
        },
      )
      .map((steps) => {
        let seconds = 1_500_000_000;
        return steps.map((step) => {
          seconds += step.gap;
          return at(step.item, step.action, seconds);
        });
      });
    fc.assert(
      fc.property(
        fc.array(history, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 60 }),
        (histories, maxLength) => {
          const full = encodeSequences(histories, vocabularies, maxLength);
          const last = encodeSequences(histories, vocabularies, maxLength, { stepFeatures: 'last' });
          for (const column of [
            'items',
            'categories',
            'actions',
            'mask',
            'itemKeys',
            'secondsBeforeLast',
          ] as const) {
            expect(Array.from(last[column])).toEqual(Array.from(full[column]));
          }
          for (let row = 0; row < full.batchSize; row++) {
            const step = row * full.length + full.length - 1;
            expect(last.hours[step]).toBe(full.hours[step]);
            const numeric = (batch: typeof full) =>
              Array.from(
                batch.numeric.subarray(step * STEP_NUMERIC_FEATURES, (step + 1) * STEP_NUMERIC_FEATURES),
              );
            expect(numeric(last)).toEqual(numeric(full));
          }
        },
      ),
    );
  });

  it("encodes views of one user's steps as it encodes the events they stand for", () => {
    const event = fc.record({
      itemId: fc.constantFrom('a', 'b', 'x', 'y', 'z'),
      categoryId: fc.constantFrom('c', 'd', 'e'),
      action: fc.constantFrom('view', 'cart', 'fav'),
      gap: fc.integer({ min: 0, max: 90_000 }),
    });
    // One user's events, and the rows its new events would have in a micro-batch: each the window
    // up to that event, as the window store gives them (views of one set of steps), some rows of
    // other users in between.
    const rows = fc
      .tuple(
        fc.array(event, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
      )
      .map(([raw, window, others]) => {
        let seconds = 1_500_000_000;
        const events = raw.map(({ gap, ...rest }) => {
          seconds += gap;
          return { ...rest, tsMs: seconds * 1000 };
        });
        const { columns } = eventSteps(events, vocabularies, events.length);
        const other = [at('x', 'view', seconds)];
        return events.flatMap((_, i) => {
          const from = Math.max(0, i + 1 - window);
          const row = { events: events.slice(from, i + 1), steps: { columns, from, length: i + 1 - from } };
          return others[i] ? [{ events: other, steps: eventSteps(other, vocabularies, 1) }, row] : [row];
        });
      });
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 15 }), (batch, maxLength) => {
        for (const stepFeatures of ['every', 'last'] as const) {
          expect(
            encodeHistories(
              batch.map((row) => row.steps),
              vocabularies,
              maxLength,
              { stepFeatures },
            ),
          ).toEqual(
            encodeSequences(
              batch.map((row) => row.events),
              vocabularies,
              maxLength,
              { stepFeatures },
            ),
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
