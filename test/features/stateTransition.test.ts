import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import type { UserEvent } from '../../src/events/event.js';
import { eventSteps, type HistorySteps } from '../../src/features/historySteps.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { applyEvents, type StateLimits, withOutcomes } from '../../src/features/stateTransition.js';
import { decodeState, emptyState, encodeState, type UserState } from '../../src/features/userState.js';
import { toWindowEntry, type WindowEntry } from '../../src/features/windowEntry.js';

const actions = new ActionVocabulary(['view', 'cart', 'fav', 'purchase']);
const BASE_MS = 1_500_000_000_000;

/**
 * The window as a plain list, kept in time order (arrival order among equal seconds) and trimmed
 * to the newest `windowSize` entries: what every new event's history must be a suffix of.
 */
class ReferenceWindow {
  private entries: WindowEntry[] = [];
  private newestMs: number | null = null;

  constructor(private readonly limits: StateLimits) {}

  /** The entries up to and including the event, or undefined when it is too late to place. */
  add(event: UserEvent): WindowEntry[] | undefined {
    const entry = toWindowEntry(event);
    const full = this.entries.length >= this.limits.windowSize;
    const oldest = this.entries[0];
    if (this.newestMs !== null && event.tsMs < this.newestMs - this.limits.latenessMs) return undefined;
    if (full && oldest && entry.tsMs < oldest.tsMs) return undefined;
    let position = this.entries.length;
    while (position > 0 && (this.entries[position - 1] as WindowEntry).tsMs > entry.tsMs) position--;
    this.entries.splice(position, 0, entry);
    const upTo = this.entries.slice(0, position + 1);
    this.entries = this.entries.slice(-this.limits.windowSize);
    this.newestMs = Math.max(this.newestMs ?? event.tsMs, event.tsMs);
    return upTo;
  }
}

const batches = fc.array(
  fc.array(
    fc.record({
      itemId: fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom('i7', '007', 'é')),
      categoryId: fc.option(fc.constantFrom('3', 'c1', '00', 'ü'), { nil: undefined }),
      action: fc.constantFrom(...actions.actions),
      // Mostly forward in time, sometimes back: out-of-order arrivals, some of them too late.
      stepMs: fc.oneof(fc.integer({ min: 0, max: 90_000 }), fc.integer({ min: -400_000, max: 0 })),
    }),
    { minLength: 1, maxLength: 12 },
  ),
  { minLength: 1, maxLength: 5 },
);

/** Some ids of the batches below frequent, the others in buckets: both kinds of lookup. */
const vocabularies = {
  actions: new ActionVocabulary(['cart', 'view', 'purchase', 'fav']),
  items: new IdVocabulary(['3', 'i7', '007', '12', 'é'], 4),
  categories: new IdVocabulary(['c1', '3'], 2),
};

/** What a history's steps hold, step by step, its ids read back too. */
function stepValues({ columns, from, length }: HistorySteps) {
  return Array.from({ length }, (_, i) => [
    columns.items[from + i],
    columns.categories[from + i],
    columns.actions[from + i],
    columns.tsMs[from + i],
    columns.itemId(from + i),
  ]);
}

describe('applyEvents', () => {
  it("gives each new event the window's entries up to it, however a batch mixes appends and placements", () => {
    fc.assert(
      fc.property(batches, fc.integer({ min: 1, max: 8 }), (raw, windowSize) => {
        const limits: StateLimits = { windowSize, dedupeIds: 100, latenessMs: 300_000 };
        const reference = new ReferenceWindow(limits);
        let state: UserState = emptyState();
        let tsMs = BASE_MS;
        let offset = 0;
        for (const batch of raw) {
          const incoming = batch.map(({ itemId, categoryId, action, stepMs }) => {
            tsMs += stepMs;
            offset++;
            const event: UserEvent = {
              eventId: `e${offset}`,
              userId: 'u',
              itemId,
              ...(categoryId === undefined ? {} : { categoryId }),
              action,
              tsMs,
            };
            return { event, offset, source: 1 };
          });
          const expected = incoming.map(({ event }) => reference.add(event));
          const transition = applyEvents(state, incoming, limits, actions);
          transition.results.forEach((result, i) => {
            const upTo = expected[i];
            expect(result.kind).toBe(upTo ? 'new' : 'late');
            if (result.kind !== 'new' || !upTo) return;
            for (const limit of [1, 3, windowSize, Number.POSITIVE_INFINITY, 2]) {
              const entries = upTo.slice(-Math.min(limit, windowSize));
              expect(result.history(limit)).toEqual(entries);
              expect(stepValues(result.steps(limit, vocabularies))).toEqual(
                stepValues(eventSteps(entries, vocabularies, entries.length)),
              );
            }
          });
          state = transition.next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('recognises a repeated eventId: by its stored outcome, among the recent ones, or within the batch', () => {
    // Batches of up to 80 events drawn from 60 ids: many batches hold more ids than are scanned
    // one by one, and repeats fall in every place.
    const idBatches = fc.array(fc.array(fc.nat({ max: 59 }), { minLength: 1, maxLength: 80, size: 'max' }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(idBatches, fc.constantFrom(2, 8, 40), (raw, dedupeIds) => {
        const limits: StateLimits = { windowSize: 10, dedupeIds, latenessMs: 300_000 };
        let state: UserState = emptyState();
        let lastCommit: string[] = [];
        let recent: string[] = [];
        let offset = 0;
        for (const ids of raw) {
          const incoming = ids.map((id) => {
            offset++;
            const event: UserEvent = {
              eventId: `id-${id}`,
              userId: 'u',
              itemId: String(id),
              action: 'view',
              tsMs: BASE_MS + offset * 1_000,
            };
            return { event, offset, source: 1 };
          });
          const transition = applyEvents(state, incoming, limits, actions);
          const seen = new Set(recent);
          const recorded: string[] = [];
          const expected = incoming.map(({ event: { eventId } }) => {
            if (lastCommit.includes(eventId)) return 'remembered';
            if (seen.has(eventId)) return 'forgotten';
            seen.add(eventId);
            recorded.push(eventId);
            return 'new';
          });
          expect(transition.results.map((result) => result.kind)).toEqual(expected);
          if (recorded.length > 0) lastCommit = recorded;
          recent = [...recent, ...recorded].slice(-dedupeIds);
          // Through the stored bytes, as the next batch reads them.
          state = decodeState(encodeState(withOutcomes(transition, new Map(), null)));
        }
      }),
      { numRuns: 200 },
    );
  });
});
