import type { UserEvent } from './event.js';
import { type Random, seededRandom } from './random.js';

/**
 * Synthetic behaviour with the shape of real e-commerce traffic: Zipf-distributed item popularity,
 * many users of uneven activity, mostly views, and actions that depend on the previous one (a cart
 * is often followed by a purchase). Used where real data is absent and for load tests.
 */
export interface SyntheticOptions {
  users: number;
  items: number;
  categories: number;
  events: number;
  seed: number;
  startMs: number;
  /** Mean seconds between two events of the whole stream. */
  meanGapSeconds: number;
  /** Zipf exponent of user activity; 0 makes every user equally active. */
  userSkew: number;
  /** Zipf exponent of item popularity. */
  itemSkew: number;
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = {
  users: 2_000,
  items: 50_000,
  categories: 500,
  events: 20_000,
  seed: 7,
  startMs: Date.UTC(2017, 10, 25),
  meanGapSeconds: 0.5,
  userSkew: 0.8,
  itemSkew: 1.05,
};

const ACTIONS = ['view', 'cart', 'fav', 'purchase'] as const;
/** Next-action probabilities given the previous action, roughly Taobao's overall mix. */
const TRANSITIONS: Record<(typeof ACTIONS)[number], readonly number[]> = {
  view: [0.91, 0.05, 0.03, 0.01],
  cart: [0.6, 0.1, 0.02, 0.28],
  fav: [0.75, 0.15, 0.05, 0.05],
  purchase: [0.93, 0.03, 0.02, 0.02],
};

/** Ranks 0..size-1 with P(rank) proportional to 1 / (rank + 1)^exponent. */
export function zipfSampler(size: number, exponent: number, random: Random): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let rank = 0; rank < size; rank++) {
    total += 1 / (rank + 1) ** exponent;
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function pick(probabilities: readonly number[], random: Random): number {
  let target = random();
  for (let i = 0; i < probabilities.length; i++) {
    target -= probabilities[i] as number;
    if (target <= 0) return i;
  }
  return probabilities.length - 1;
}

export function* syntheticEvents(options: Partial<SyntheticOptions> = {}): Generator<UserEvent> {
  const o = { ...DEFAULT_SYNTHETIC, ...options };
  const random = seededRandom(o.seed);
  const nextUser = zipfSampler(o.users, o.userSkew, random);
  const nextItem = zipfSampler(o.items, o.itemSkew, random);
  const lastAction = new Map<number, (typeof ACTIONS)[number]>();
  const lastItem = new Map<number, number>();
  let clockMs = o.startMs;
  for (let n = 0; n < o.events; n++) {
    clockMs += Math.round(-Math.log(1 - random()) * o.meanGapSeconds * 1000);
    const user = nextUser();
    const action = ACTIONS[
      pick(TRANSITIONS[lastAction.get(user) ?? 'view'], random)
    ] as (typeof ACTIONS)[number];
    // Carts, favourites and purchases usually concern the item just viewed: repeat consumption.
    const item =
      action !== 'view' && lastItem.has(user) && random() < 0.8 ? (lastItem.get(user) as number) : nextItem();
    lastAction.set(user, action);
    lastItem.set(user, item);
    yield {
      eventId: `syn-${o.seed}-${n}`,
      userId: `u${user}`,
      itemId: `i${item}`,
      categoryId: `c${item % o.categories}`,
      action,
      tsMs: clockMs,
    };
  }
}
