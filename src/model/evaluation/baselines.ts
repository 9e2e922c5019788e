import type { UserEvent } from '../../events/event.js';
import { utcHour } from '../../features/sequenceEncoding.js';
import { sessionPositions } from '../../features/sessions.js';
import { groupByUser } from '../trainingData.js';
import { fitDecisionWeights } from './decisionWeights.js';
import { fitLogistic, predictLogistic } from './logisticRegression.js';
import type { History, Predictor } from './predictor.js';

/**
 * The simple methods practitioners use, each fitted on the same training events as the model. Item
 * rankers that run out of candidates are padded with the most popular items, which only helps them.
 */
export interface BaselineData {
  actions: readonly string[];
  train: readonly UserEvent[];
  churnHorizonMs: number;
  /** Training labels must be knowable before this time (the start of the test period). */
  testFromMs: number;
}

function topKeys(counts: ReadonlyMap<string, number>, k: number): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, k)
    .map(([key]) => key);
}

function increment(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function padded(items: readonly string[], popular: readonly string[], k: number): string[] {
  const result = items.slice(0, k);
  const seen = new Set(result);
  for (const item of popular) {
    if (result.length >= k) break;
    if (!seen.has(item)) result.push(item);
  }
  return result;
}

function last<T>(items: readonly T[]): T | undefined {
  return items[items.length - 1];
}

/** Hand-made churn features: log gap since the previous event, session length, hour of day, last action. */
export function churnFeatures(history: History, actions: readonly string[]): number[] {
  const current = last(history) as UserEvent;
  const previous = history[history.length - 2];
  const recent = history.slice(-200);
  const hour = utcHour(current.tsMs);
  return [
    previous ? Math.log1p((current.tsMs - previous.tsMs) / 1000) : 0,
    previous ? 0 : 1,
    Math.log1p(last(sessionPositions(recent)) ?? 1),
    ...Array.from({ length: 24 }, (_, h) => (h === hour ? 1 : 0)),
    ...actions.map((action) => (action === current.action ? 1 : 0)),
  ];
}

export function buildBaselines(data: BaselineData): Predictor[] {
  const { actions } = data;
  const actionIndex = new Map(actions.map((action, i) => [action, i]));
  const users = [...groupByUser(data.train).values()];

  // Next action: the class prior, and a first-order Markov chain over actions.
  const prior = actions.map(() => 1);
  const transitions = actions.map(() => actions.map(() => 1));
  const markovCases: { from: number; to: number }[] = [];
  for (const sequence of users) {
    sequence.forEach((event, i) => {
      const to = actionIndex.get(event.action) as number;
      prior[to] = (prior[to] as number) + 1;
      const before = sequence[i - 1];
      if (!before) return;
      const from = actionIndex.get(before.action) as number;
      (transitions[from] as number[])[to] = ((transitions[from] as number[])[to] as number) + 1;
      markovCases.push({ from, to });
    });
  }
  const normalise = (row: readonly number[]) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((value) => value / total);
  };
  const priorProbabilities = normalise(prior);
  const markovProbabilities = transitions.map(normalise);
  const markovWeights = fitDecisionWeights(
    actions,
    markovCases.map((c) => markovProbabilities[c.from] as number[]),
    markovCases.map((c) => c.to),
  );

  // Next item: popularity, item-to-item transitions and co-occurrence within five positions.
  const itemCounts = new Map<string, number>();
  const itemTransitions = new Map<string, Map<string, number>>();
  const cooccurrence = new Map<string, Map<string, number>>();
  for (const sequence of users) {
    sequence.forEach((event, i) => {
      increment(itemCounts, event.itemId);
      const before = sequence[i - 1];
      if (before) {
        const row = itemTransitions.get(before.itemId) ?? new Map<string, number>();
        increment(row, event.itemId);
        itemTransitions.set(before.itemId, row);
      }
      for (let j = Math.max(0, i - 5); j < i; j++) {
        const other = (sequence[j] as UserEvent).itemId;
        if (other === event.itemId) continue;
        for (const [a, b] of [
          [other, event.itemId],
          [event.itemId, other],
        ] as const) {
          const row = cooccurrence.get(a) ?? new Map<string, number>();
          increment(row, b);
          cooccurrence.set(a, row);
        }
      }
    });
  }
  const popular = topKeys(itemCounts, 100);
  const transitionCache = new Map<string, string[]>();

  // Churn: the gap-since-previous heuristic and a logistic regression on hand-made features.
  const churnRows: number[][] = [];
  const churnLabels: boolean[] = [];
  for (const sequence of users) {
    sequence.forEach((event, i) => {
      if (event.tsMs + data.churnHorizonMs > data.testFromMs) return;
      const next = sequence[i + 1];
      churnRows.push(churnFeatures(sequence.slice(Math.max(0, i - 199), i + 1), actions));
      churnLabels.push(next === undefined || next.tsMs - event.tsMs > data.churnHorizonMs);
    });
  }
  const churnModel = fitLogistic(churnRows, churnLabels);
  const churnRate = churnLabels.filter(Boolean).length / Math.max(1, churnLabels.length);

  return [
    {
      name: 'prior',
      nextAction: (histories) => histories.map(() => priorProbabilities),
      churn: (histories) => histories.map(() => churnRate),
      churnScoresAreProbabilities: true,
    },
    {
      name: 'actionMarkov',
      nextAction: (histories) =>
        histories.map(
          (history) => markovProbabilities[actionIndex.get(last(history)?.action ?? '') ?? 0] as number[],
        ),
      actionDecisionWeights: markovWeights,
    },
    {
      name: 'popularity',
      nextItems: (histories, k) => histories.map(() => popular.slice(0, k)),
    },
    {
      name: 'recencyRepeat',
      nextItems: (histories, k) =>
        histories.map((history) => {
          const recent = new Set<string>();
          for (let i = history.length - 1; i >= 0 && recent.size < k; i--)
            recent.add((history[i] as UserEvent).itemId);
          return padded([...recent], popular, k);
        }),
    },
    {
      name: 'itemTransitions',
      nextItems: (histories, k) =>
        histories.map((history) => {
          const from = last(history)?.itemId ?? '';
          let ranked = transitionCache.get(from);
          if (!ranked) {
            ranked = topKeys(itemTransitions.get(from) ?? new Map(), 50);
            transitionCache.set(from, ranked);
          }
          return padded(ranked, popular, k);
        }),
    },
    {
      name: 'cooccurrenceKnn',
      nextItems: (histories, k) =>
        histories.map((history) => {
          const scores = new Map<string, number>();
          const anchors = [...new Set(history.slice(-5).map((event) => event.itemId))];
          for (const anchor of anchors) {
            const anchorCount = itemCounts.get(anchor) ?? 0;
            for (const [item, count] of cooccurrence.get(anchor) ?? []) {
              increment(scores, item, count / Math.sqrt(anchorCount * (itemCounts.get(item) ?? 1)));
            }
          }
          return padded(topKeys(scores, k), popular, k);
        }),
    },
    {
      name: 'gapSincePrevious',
      churn: (histories) =>
        histories.map((history) => {
          const current = last(history) as UserEvent;
          const previous = history[history.length - 2];
          return previous ? current.tsMs - previous.tsMs : Number.MAX_SAFE_INTEGER;
        }),
      churnScoresAreProbabilities: false,
    },
    {
      name: 'churnLogistic',
      churn: (histories) =>
        histories.map((history) => predictLogistic(churnModel, churnFeatures(history, actions))),
      churnScoresAreProbabilities: true,
    },
  ];
}
