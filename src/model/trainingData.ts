import type { UserEvent } from '../events/event.js';
import type { Random } from '../events/random.js';
import { shuffle } from '../events/random.js';

/**
 * Supervised examples cut from users' histories: the events up to position i predict the action
 * at i+1, and churn is "the next event came later than the horizon". Only positions with a known
 * next event are used, so no example depends on data after the end of the file.
 */
export interface TrainingExample {
  history: UserEvent[];
  nextAction: string;
  churned: boolean;
}

/** Groups events by user, each in event-time order; ties keep their input order. */
export function groupByUser(events: readonly UserEvent[]): Map<string, UserEvent[]> {
  const users = new Map<string, UserEvent[]>();
  for (const event of events) {
    const history = users.get(event.userId);
    if (history) history.push(event);
    else users.set(event.userId, [event]);
  }
  for (const history of users.values()) history.sort((a, b) => a.tsMs - b.tsMs);
  return users;
}

export interface ExampleOptions {
  maxHistory: number;
  churnHorizonMs: number;
  maxExamples: number;
  random: Random;
}

export function buildExamples(events: readonly UserEvent[], options: ExampleOptions): TrainingExample[] {
  const examples: TrainingExample[] = [];
  for (const history of groupByUser(events).values()) {
    for (let i = 0; i + 1 < history.length; i++) {
      const current = history[i] as UserEvent;
      const next = history[i + 1] as UserEvent;
      examples.push({
        history: history.slice(Math.max(0, i + 1 - options.maxHistory), i + 1),
        nextAction: next.action,
        churned: next.tsMs - current.tsMs > options.churnHorizonMs,
      });
    }
  }
  return shuffle(examples, options.random).slice(0, options.maxExamples);
}
