import type { UserEvent } from '../../events/event.js';
import { groupByUser } from '../trainingData.js';

/**
 * The evaluation protocol, fixed so that every model and baseline is judged on exactly the same
 * cases, and so that no prediction can see the future:
 *
 * - events before `testFrom` are history only (and the training data of the baselines);
 * - next event: every event at or after `testFrom` whose user has an earlier event is a case, predicted
 *   from all of that user's earlier events (which may reach back before `testFrom`);
 * - churn: after every event at or after `testFrom`, predicted from the user's events up to and including
 *   it, the label is "no further event of that user within the horizon"; events whose horizon runs
 *   past the end of the data are left out, because their label is unknown.
 *
 * Users are matched by id only to build histories: the users evaluated need not be those trained on.
 */
export interface ProtocolOptions {
  /** Default: 80% of the way through the data's time span. */
  testFromMs?: number;
  churnHorizonMs: number;
}

/** A user's history up to (not including) `position`; cases share the sorted sequence. */
export interface SequenceCase {
  sequence: readonly UserEvent[];
  position: number;
}

export interface NextEventCase extends SequenceCase {
  target: UserEvent;
}

export interface ChurnCase extends SequenceCase {
  churned: boolean;
}

export interface EvaluationSplit {
  testFromMs: number;
  dataEndMs: number;
  churnHorizonMs: number;
  /** Events before testFrom, in input order. */
  train: UserEvent[];
  nextEvent: NextEventCase[];
  churn: ChurnCase[];
  /** Churn positions left out because their horizon runs past the end of the data. */
  censored: number;
}

export function historyOf(testCase: SequenceCase): readonly UserEvent[] {
  return testCase.sequence.slice(0, testCase.position);
}

export function defaultTestFrom(events: readonly UserEvent[]): number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    min = Math.min(min, event.tsMs);
    max = Math.max(max, event.tsMs);
  }
  return Math.round(min + 0.8 * (max - min));
}

export function splitForEvaluation(events: readonly UserEvent[], options: ProtocolOptions): EvaluationSplit {
  const testFromMs = options.testFromMs ?? defaultTestFrom(events);
  const dataEndMs = events.reduce((max, event) => Math.max(max, event.tsMs), Number.NEGATIVE_INFINITY);
  const nextEvent: NextEventCase[] = [];
  const churn: ChurnCase[] = [];
  let censored = 0;
  for (const sequence of groupByUser(events).values()) {
    sequence.forEach((event, i) => {
      if (event.tsMs < testFromMs) return;
      if (i > 0) nextEvent.push({ sequence, position: i, target: event });
      if (event.tsMs + options.churnHorizonMs > dataEndMs) {
        censored++;
        return;
      }
      const next = sequence[i + 1];
      churn.push({
        sequence,
        position: i + 1,
        churned: next === undefined || next.tsMs - event.tsMs > options.churnHorizonMs,
      });
    });
  }
  return {
    testFromMs,
    dataEndMs,
    churnHorizonMs: options.churnHorizonMs,
    train: events.filter((event) => event.tsMs < testFromMs),
    nextEvent,
    churn,
    censored,
  };
}
