import type { EncodedBatch } from '../features/sequenceEncoding.js';

/**
 * Which history steps the repeat head may point at from each query step, and what it knows about
 * them. Each distinct item is one candidate, at its latest occurrence at or before the query step,
 * described by its rank among distinct items by recency, how often it occurred, and how long ago it
 * was last seen, and its recency rank among the candidates of the query step's category. Recency
 * rank alone reproduces the "recent distinct items" heuristic; the learned biases and the query-key
 * term can only refine it.
 *
 * Arrays are [batch, queries, length]: query step (row) against history step (column).
 */
export const RANK_BUCKETS = 50;
export const COUNT_BUCKETS = 8;
export const AGE_BUCKETS = 13;
/** One bit per action id (1..4) that the user has taken on the item so far: 16 combinations. */
export const ACTIONS_SEEN_BUCKETS = 16;
/**
 * 0 when the candidate is of another category than the query step; otherwise 1 + its recency rank
 * among the candidates of that category (capped).
 */
export const CATEGORY_RANK_BUCKETS = 10;

/** log1p(seconds) buckets: 0 s up to about five days. */
export function ageBucket(seconds: number): number {
  return Math.min(AGE_BUCKETS - 1, Math.floor(Math.log1p(Math.max(0, seconds))));
}

export interface RepeatCandidates {
  queries: number;
  rank: Int32Array;
  count: Int32Array;
  age: Int32Array;
  actionsSeen: Int32Array;
  categoryRank: Int32Array;
  /** 1 where the column is a candidate for the row. */
  allowed: Float32Array;
}

/**
 * Candidates for every step as a query (training), or only for the last step (`lastOnly`, scoring).
 */
export function repeatCandidates(batch: EncodedBatch, lastOnly: boolean): RepeatCandidates {
  const { batchSize, length } = batch;
  const queries = lastOnly ? 1 : length;
  const size = batchSize * queries * length;
  const result: RepeatCandidates = {
    queries,
    rank: new Int32Array(size),
    count: new Int32Array(size),
    age: new Int32Array(size),
    actionsSeen: new Int32Array(size),
    categoryRank: new Int32Array(size),
    allowed: new Float32Array(size),
  };
  // Item keys are 1..length within a sequence, so per-key tallies are arrays, not maps.
  const counts = new Int32Array(length + 1);
  const actions = new Int32Array(length + 1);
  const seenFor = new Int32Array(length + 1);
  let query = 0;
  for (let b = 0; b < batchSize; b++) {
    const base = b * length;
    for (let q = 0; q < queries; q++) {
      const t = lastOnly ? length - 1 : q;
      if (batch.mask[base + t] === 0) continue;
      query++;
      const row = (b * queries + q) * length;
      const tSeconds = batch.secondsBeforeLast[base + t] as number;
      const tCategory = batch.categories[base + t] as number;
      counts.fill(0);
      actions.fill(0);
      for (let j = 0; j <= t; j++) {
        const key = batch.itemKeys[base + j] as number;
        if (key === 0) continue;
        counts[key] = (counts[key] as number) + 1;
        const actionBit = 1 << ((batch.actions[base + j] as number) - 1);
        actions[key] = ((actions[key] as number) | actionBit) % ACTIONS_SEEN_BUCKETS;
      }
      let rank = 0;
      let sameCategorySeen = 0;
      for (let j = t; j >= 0; j--) {
        const key = batch.itemKeys[base + j] as number;
        if (key === 0 || seenFor[key] === query) continue;
        seenFor[key] = query;
        result.rank[row + j] = Math.min(rank, RANK_BUCKETS - 1);
        rank++;
        result.count[row + j] = Math.min((counts[key] as number) - 1, COUNT_BUCKETS - 1);
        result.actionsSeen[row + j] = actions[key] as number;
        if (batch.categories[base + j] === tCategory) {
          result.categoryRank[row + j] = 1 + Math.min(sameCategorySeen, CATEGORY_RANK_BUCKETS - 2);
          sameCategorySeen++;
        }
        result.age[row + j] = ageBucket(tSeconds - (batch.secondsBeforeLast[base + j] as number));
        result.allowed[row + j] = 1;
      }
    }
  }
  return result;
}
