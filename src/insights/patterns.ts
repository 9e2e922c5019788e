import type { UserEvent } from '../events/event.js';
import { SESSION_GAP_MS, sessionPositions } from '../features/sessions.js';
import { groupByUser } from '../model/trainingData.js';
import { NO_CATEGORY } from './profiles.js';

/**
 * Behaviour patterns of a set of events: ordered funnels, action transitions, frequent category
 * sequences and session statistics. Sessions are the model's own (a gap over SESSION_GAP_MS starts
 * one), so the patterns describe the same units the model's session feature sees.
 */
export interface PatternOptions {
  /** Funnel stages in order (default view, cart, purchase). */
  funnel: readonly string[];
  /** Categories with a funnel of their own, by number of users entering the funnel (default 10). */
  funnelCategories?: number;
  /** Longest category sequence mined (default 3). */
  maxSequenceLength?: number;
  /** Least share of sessions a sequence must occur in (default 0.002, and at least 2 sessions). */
  minSupport?: number;
  /** Sequences and transitions listed (default 15). */
  top?: number;
}

export interface FunnelStage {
  action: string;
  /** Users (or user-category pairs) that reached this stage after all earlier ones, in order. */
  count: number;
  /** count / the previous stage's count (1 for the first stage). */
  fromPrevious: number;
  /** count / the first stage's count. */
  fromFirst: number;
}

export interface Funnel {
  /** 'overall' or a category id. */
  name: string;
  stages: FunnelStage[];
}

export interface Transition {
  from: string;
  to: string;
  count: number;
  /** count / all transitions */
  support: number;
  /** P(to | from): count / transitions out of `from` */
  confidence: number;
}

export interface CategorySequence {
  categories: string[];
  /** Sessions that contain the sequence (consecutive, after merging repeats of a category). */
  sessions: number;
  /** sessions / all sessions */
  support: number;
  /** support / support of the sequence without its last category */
  confidence: number;
}

export interface Distribution {
  mean: number;
  median: number;
  p90: number;
  max: number;
}

export interface SessionStats {
  sessions: number;
  eventsPerSession: Distribution;
  durationSeconds: Distribution;
  sessionsPerUser: Distribution;
  /** Share of sessions with at least one event of the funnel's last action. */
  convertingShare: number;
  gapMinutes: number;
}

export interface DataSummary {
  events: number;
  users: number;
  items: number;
  categories: number;
  fromMs: number;
  toMs: number;
  actions: { name: string; count: number }[];
}

export interface Patterns {
  summary: DataSummary;
  funnel: Funnel;
  categoryFunnels: Funnel[];
  transitions: {
    actions: string[];
    /** counts[from][to], in the order of `actions` */
    counts: number[][];
    top: Transition[];
  };
  sequences: CategorySequence[];
  sessions: SessionStats;
}

/** How many stages of the funnel a time-ordered sequence reaches, each after the previous one. */
export function stagesReached(events: readonly { action: string }[], stages: readonly string[]): number {
  let reached = 0;
  for (const event of events) {
    if (reached < stages.length && event.action === stages[reached]) reached++;
  }
  return reached;
}

function funnelOf(name: string, stages: readonly string[], reached: readonly number[]): Funnel {
  const counts = stages.map((_, s) => reached.filter((r) => r > s).length);
  const first = counts[0] ?? 0;
  return {
    name,
    stages: stages.map((action, s) => {
      const count = counts[s] as number;
      const previous = s === 0 ? count : (counts[s - 1] as number);
      return {
        action,
        count,
        fromPrevious: previous > 0 ? count / previous : 0,
        fromFirst: first > 0 ? count / first : 0,
      };
    }),
  };
}

function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { mean: 0, median: 0, p90: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return {
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    median: at(0.5),
    p90: at(0.9),
    max: sorted[sorted.length - 1] as number,
  };
}

/** Splits a user's time-ordered events into sessions. */
export function sessionsOf<T extends { tsMs: number }>(events: readonly T[]): T[][] {
  const sessions: T[][] = [];
  sessionPositions(events).forEach((position, i) => {
    if (position === 1) sessions.push([]);
    (sessions[sessions.length - 1] as T[]).push(events[i] as T);
  });
  return sessions;
}

const sequenceKey = (categories: readonly string[]) => categories.join('\u0000');

export function findPatterns(events: readonly UserEvent[], options: PatternOptions): Patterns {
  if (options.funnel.length === 0) throw new Error('a funnel needs at least one stage');
  const maxLength = options.maxSequenceLength ?? 3;
  const top = options.top ?? 15;
  const users = groupByUser(events);
  const actionNames = [...new Set([...options.funnel, ...events.map((event) => event.action)])];
  const actionIndex = new Map(actionNames.map((action, i) => [action, i]));
  const counts = actionNames.map(() => actionNames.map(() => 0));
  const sessionLengths: number[] = [];
  const sessionDurations: number[] = [];
  const sessionsPerUser: number[] = [];
  const conversion = options.funnel[options.funnel.length - 1] as string;
  let converting = 0;
  const overallReached: number[] = [];
  const categoryReached = new Map<string, number[]>();
  // Sessions containing each category sequence, counted once per session.
  const sequenceSessions = new Map<string, number>();

  for (const userEvents of users.values()) {
    overallReached.push(stagesReached(userEvents, options.funnel));
    const byCategory = new Map<string, UserEvent[]>();
    for (const event of userEvents) {
      const category = event.categoryId ?? NO_CATEGORY;
      const list = byCategory.get(category);
      if (list) list.push(event);
      else byCategory.set(category, [event]);
    }
    for (const [category, list] of byCategory) {
      const reached = categoryReached.get(category);
      const stage = stagesReached(list, options.funnel);
      if (reached) reached.push(stage);
      else categoryReached.set(category, [stage]);
    }
    const sessions = sessionsOf(userEvents);
    sessionsPerUser.push(sessions.length);
    for (const session of sessions) {
      sessionLengths.push(session.length);
      sessionDurations.push(
        ((session[session.length - 1] as UserEvent).tsMs - (session[0] as UserEvent).tsMs) / 1000,
      );
      if (session.some((event) => event.action === conversion)) converting++;
      for (let i = 1; i < session.length; i++) {
        const from = actionIndex.get((session[i - 1] as UserEvent).action) as number;
        const to = actionIndex.get((session[i] as UserEvent).action) as number;
        (counts[from] as number[])[to] = ((counts[from] as number[])[to] as number) + 1;
      }
      const path: string[] = [];
      for (const event of session) {
        const category = event.categoryId ?? NO_CATEGORY;
        if (path[path.length - 1] !== category) path.push(category);
      }
      const seen = new Set<string>();
      for (let length = 1; length <= maxLength; length++) {
        for (let start = 0; start + length <= path.length; start++) {
          seen.add(sequenceKey(path.slice(start, start + length)));
        }
      }
      for (const key of seen) sequenceSessions.set(key, (sequenceSessions.get(key) ?? 0) + 1);
    }
  }

  const sessionCount = sessionLengths.length;
  const totalTransitions = counts.flat().reduce((a, b) => a + b, 0);
  const transitions: Transition[] = [];
  counts.forEach((row, from) => {
    const out = row.reduce((a, b) => a + b, 0);
    row.forEach((count, to) => {
      if (count === 0) return;
      transitions.push({
        from: actionNames[from] as string,
        to: actionNames[to] as string,
        count,
        support: count / totalTransitions,
        confidence: count / out,
      });
    });
  });
  transitions.sort((a, b) => b.count - a.count || (a.from + a.to < b.from + b.to ? -1 : 1));

  const minSessions = Math.max(2, Math.ceil((options.minSupport ?? 0.002) * sessionCount));
  const sequences: CategorySequence[] = [];
  for (const [key, sessions] of sequenceSessions) {
    const categories = key.split('\u0000');
    if (categories.length < 2 || sessions < minSessions) continue;
    const prefix = sequenceSessions.get(sequenceKey(categories.slice(0, -1))) as number;
    sequences.push({
      categories,
      sessions,
      support: sessions / sessionCount,
      confidence: sessions / prefix,
    });
  }
  sequences.sort(
    (a, b) =>
      b.sessions - a.sessions ||
      b.confidence - a.confidence ||
      (a.categories.join() < b.categories.join() ? -1 : 1),
  );

  const categoryFunnels = [...categoryReached.entries()]
    .map(([category, reached]) => funnelOf(category, options.funnel, reached))
    .filter((funnel) => (funnel.stages[0]?.count ?? 0) > 0)
    .sort((a, b) => (b.stages[0]?.count ?? 0) - (a.stages[0]?.count ?? 0) || (a.name < b.name ? -1 : 1))
    .slice(0, options.funnelCategories ?? 10);

  // A loop, not Math.min(...times): spreading a large array overflows the call stack.
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    fromMs = Math.min(fromMs, event.tsMs);
    toMs = Math.max(toMs, event.tsMs);
  }
  return {
    summary: {
      events: events.length,
      users: users.size,
      items: new Set(events.map((event) => event.itemId)).size,
      categories: categoryReached.size,
      fromMs: events.length > 0 ? fromMs : 0,
      toMs: events.length > 0 ? toMs : 0,
      actions: actionNames.map((name) => ({
        name,
        count: events.filter((event) => event.action === name).length,
      })),
    },
    funnel: funnelOf('overall', options.funnel, overallReached),
    categoryFunnels,
    transitions: { actions: actionNames, counts, top: transitions.slice(0, top) },
    sequences: sequences.slice(0, top),
    sessions: {
      sessions: sessionCount,
      eventsPerSession: distribution(sessionLengths),
      durationSeconds: distribution(sessionDurations),
      sessionsPerUser: distribution(sessionsPerUser),
      convertingShare: sessionCount > 0 ? converting / sessionCount : 0,
      gapMinutes: SESSION_GAP_MS / 60_000,
    },
  };
}
