import type { SequenceEvent } from '../features/sequenceEncoding.js';

/** A category's (or action's) share of the user's recent attention, after time decay. */
export interface WeightedName {
  name: string;
  /** Sum of the decayed weights of the user's events with this name. */
  weight: number;
  /** weight divided by the sum over all names: shares add up to 1. */
  share: number;
}

/**
 * What the user is interested in now: each event counts 2^(-age / halfLife), so a view an hour ago
 * outweighs a purchase last week with a one-day half-life. The embedding is the model's state after
 * the user's last event; two users with close embeddings are scored alike.
 */
export interface InterestProfile {
  events: number;
  firstEventMs: number;
  lastEventMs: number;
  halfLifeMs: number;
  nowMs: number;
  categories: WeightedName[];
  actions: WeightedName[];
  embedding: number[];
}

/** Events without a category are grouped under this name. */
export const NO_CATEGORY = '(none)';

/**
 * Shares come from weights relative to the newest event, which are the absolute ones times one
 * common factor: for a user idle for months the absolute weights underflow to 0, the shares do not.
 */
function weighted(relative: Map<string, number>, scale: number): WeightedName[] {
  const total = [...relative.values()].reduce((a, b) => a + b, 0);
  return [...relative.entries()]
    .map(([name, weight]) => ({ name, weight: weight * scale, share: total > 0 ? weight / total : 0 }))
    .sort((a, b) => b.share - a.share || (a.name < b.name ? -1 : 1));
}

export function buildProfile(
  window: readonly SequenceEvent[],
  embedding: Float32Array | readonly number[],
  nowMs: number,
  halfLifeMs: number,
): InterestProfile {
  if (window.length === 0) throw new Error('a profile needs at least one event');
  if (!(halfLifeMs > 0)) throw new Error(`the half-life must be positive, got ${halfLifeMs} ms`);
  const lastEventMs = window.reduce((max, event) => Math.max(max, event.tsMs), Number.NEGATIVE_INFINITY);
  const categories = new Map<string, number>();
  const actions = new Map<string, number>();
  for (const event of window) {
    const weight = 2 ** (-(lastEventMs - event.tsMs) / halfLifeMs);
    const category = event.categoryId ?? NO_CATEGORY;
    categories.set(category, (categories.get(category) ?? 0) + weight);
    actions.set(event.action, (actions.get(event.action) ?? 0) + weight);
  }
  // An event stamped after `now` (clock skew) counts as new, not as more than new.
  const scale = 2 ** (-Math.max(0, nowMs - lastEventMs) / halfLifeMs);
  return {
    events: window.length,
    firstEventMs: window.reduce((min, event) => Math.min(min, event.tsMs), Number.POSITIVE_INFINITY),
    lastEventMs,
    halfLifeMs,
    nowMs,
    categories: weighted(categories, scale),
    actions: weighted(actions, scale),
    embedding: Array.from(embedding),
  };
}
