import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../../src/events/event.js';
import { buildBaselines } from '../../../src/model/evaluation/baselines.js';
import { evaluatePredictor } from '../../../src/model/evaluation/evaluate.js';
import type { History, Predictor } from '../../../src/model/evaluation/predictor.js';
import { historyOf, splitForEvaluation } from '../../../src/model/evaluation/protocol.js';

const HOUR = 3_600_000;
const event = (userId: string, itemId: string, hours: number, action = 'view'): UserEvent => ({
  eventId: `${userId}-${itemId}-${hours}`,
  userId,
  itemId,
  action,
  tsMs: hours * HOUR,
});

describe('evaluation protocol', () => {
  const events = [
    event('a', 'x', 0),
    event('a', 'y', 1),
    event('a', 'x', 10),
    event('a', 'z', 11),
    event('b', 'q', 10.5),
    event('c', 'w', 2),
    event('c', 'w', 30),
  ];
  const split = splitForEvaluation(events, { testFromMs: 10 * HOUR, churnHorizonMs: 6 * HOUR });

  it('makes a next-event case of each test-period event that has an earlier one, with all of it', () => {
    expect(split.nextEvent.map((c) => `${c.target.eventId}<-${historyOf(c).length}`)).toEqual([
      'a-x-10<-2',
      'a-z-11<-3',
      'c-w-30<-1',
    ]);
    expect(split.train.map((e) => e.eventId)).toEqual(['a-x-0', 'a-y-1', 'c-w-2']);
  });

  it('labels churn after each test-period event and leaves out horizons past the data', () => {
    // Data ends at hour 30: events after hour 24 are censored (c at 30).
    expect(split.churn.map((c) => [historyOf(c).at(-1)?.eventId, c.churned])).toEqual([
      ['a-x-10', false],
      ['a-z-11', true],
      ['b-q-10.5', true],
    ]);
    expect(split.censored).toBe(1);
  });

  it('never shows a predictor the event it predicts, or anything later', () => {
    const seen: History[] = [];
    const spy: Predictor = {
      name: 'spy',
      nextItems: (histories, k) => {
        seen.push(...histories);
        return histories.map(() => Array(k).fill('planted-future-item'));
      },
    };
    const planted = [...events, event('a', 'planted-future-item', 29)];
    const plantedSplit = splitForEvaluation(planted, { testFromMs: 10 * HOUR, churnHorizonMs: 6 * HOUR });
    evaluatePredictor(spy, plantedSplit, ['view'], 3);
    plantedSplit.nextEvent.forEach((testCase, i) => {
      expect(
        seen[i]?.every(
          (e) => e.tsMs < testCase.target.tsMs || e === testCase.sequence[testCase.position - 1],
        ),
      ).toBe(true);
      expect(seen[i]?.some((e) => e.itemId === 'planted-future-item' && e !== testCase.target)).toBe(false);
    });
    // The recency baseline must not profit from the planted event either: it is only a target.
    const recency = buildBaselines({
      actions: ['view'],
      train: plantedSplit.train,
      churnHorizonMs: 6 * HOUR,
      testFromMs: 10 * HOUR,
    }).find((b) => b.name === 'recencyRepeat') as Predictor;
    const report = evaluatePredictor(recency, plantedSplit, ['view'], 1);
    const plantedCase = plantedSplit.nextEvent.findIndex((c) => c.target.itemId === 'planted-future-item');
    expect(plantedCase).toBeGreaterThanOrEqual(0);
    expect(report.nextItem?.hr).toBeLessThan(1);
  });
});
