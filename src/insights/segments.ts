import { type Random, seededRandom, shuffle } from '../events/random.js';
import type { SequenceEvent } from '../features/sequenceEncoding.js';
import type { SegmentDescription, Segments } from '../model/segmentsFile.js';
import { NO_CATEGORY } from './profiles.js';

/**
 * User segments: k-means over the users' embeddings (the model's state after each user's last
 * event), with k given or chosen by the best mean silhouette over a range. Everything is seeded, so
 * the same embeddings give the same segments, in the same order, on every run.
 */
export interface SegmentOptions {
  /** A fixed number of segments; otherwise the best silhouette within `kRange`. */
  k?: number;
  /** Inclusive range of k to try when `k` is not given. */
  kRange?: [number, number];
  seed: number;
  modelVersion: string;
  /** The action vocabulary, for the action mix. */
  actions: readonly string[];
  /** The action whose presence makes a user "converted" (default purchase). */
  conversionAction?: string;
  /** Users on which the silhouette is computed (it costs n^2 distances); default 2,000. */
  silhouetteSample?: number;
  /** k-means++ starts per k; the one with the lowest within-cluster sum of squares wins. Default 4. */
  restarts?: number;
}

export const DEFAULT_K_RANGE: [number, number] = [2, 8];
const MAX_ITERATIONS = 100;
const DOMINANT_CATEGORIES = 5;

function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum;
}

function nearest(
  point: ArrayLike<number>,
  centroids: readonly ArrayLike<number>[],
): { index: number; distance: number } {
  let index = 0;
  let distance = Number.POSITIVE_INFINITY;
  centroids.forEach((centroid, c) => {
    const d = squaredDistance(point, centroid);
    if (d < distance) {
      distance = d;
      index = c;
    }
  });
  return { index, distance };
}

/** k-means++ seeding: each next centre is drawn with probability proportional to its squared distance. */
function seedCentroids(points: readonly Float32Array[], k: number, random: Random): Float32Array[] {
  const centroids = [Float32Array.from(points[Math.floor(random() * points.length)] as Float32Array)];
  const distances = points.map((point) => squaredDistance(point, centroids[0] as Float32Array));
  while (centroids.length < k) {
    const total = distances.reduce((a, b) => a + b, 0);
    let pick = 0;
    if (total > 0) {
      let target = random() * total;
      while (pick < points.length - 1 && target >= (distances[pick] as number)) {
        target -= distances[pick] as number;
        pick++;
      }
    } else {
      pick = Math.floor(random() * points.length);
    }
    const centroid = Float32Array.from(points[pick] as Float32Array);
    centroids.push(centroid);
    points.forEach((point, i) => {
      distances[i] = Math.min(distances[i] as number, squaredDistance(point, centroid));
    });
  }
  return centroids;
}

export interface Clustering {
  centroids: Float32Array[];
  assignments: Int32Array;
  /** Within-cluster sum of squared distances. */
  inertia: number;
}

/** Lloyd's iterations from a k-means++ start; an emptied cluster takes the point farthest from its centre. */
export function kMeans(points: readonly Float32Array[], k: number, random: Random): Clustering {
  if (points.length === 0) throw new Error('k-means needs at least one point');
  if (!Number.isInteger(k) || k < 1 || k > points.length)
    throw new Error(`k must be between 1 and the number of users (${points.length}), got ${k}`);
  const dimensions = (points[0] as Float32Array).length;
  const centroids = seedCentroids(points, k, random);
  const assignments = new Int32Array(points.length).fill(-1);
  let inertia = 0;
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let changed = false;
    inertia = 0;
    const distances = new Float64Array(points.length);
    points.forEach((point, i) => {
      const { index, distance } = nearest(point, centroids);
      if (assignments[i] !== index) changed = true;
      assignments[i] = index;
      distances[i] = distance;
      inertia += distance;
    });
    if (!changed) break;
    const sums = Array.from({ length: k }, () => new Float64Array(dimensions));
    const counts = new Int32Array(k);
    points.forEach((point, i) => {
      const c = assignments[i] as number;
      counts[c] = (counts[c] as number) + 1;
      const sum = sums[c] as Float64Array;
      for (let d = 0; d < dimensions; d++) sum[d] = (sum[d] as number) + (point[d] as number);
    });
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        let farthest = 0;
        distances.forEach((d, i) => {
          if (d > (distances[farthest] as number)) farthest = i;
        });
        centroids[c] = Float32Array.from(points[farthest] as Float32Array);
        distances[farthest] = 0;
        continue;
      }
      centroids[c] = Float32Array.from(sums[c] as Float64Array, (v) => v / (counts[c] as number));
    }
  }
  return { centroids, assignments, inertia };
}

/**
 * Mean silhouette of the points at `sample` (indexes) under `assignments`: for each point, (b - a) /
 * max(a, b) with a its mean distance to its own cluster and b to the nearest other one. A point
 * alone in its cluster scores 0, as is usual.
 */
export function meanSilhouette(
  distances: (i: number, j: number) => number,
  sample: readonly number[],
  assignments: Int32Array,
  k: number,
): number {
  let total = 0;
  for (const i of sample) {
    const sums = new Float64Array(k);
    const counts = new Int32Array(k);
    for (const j of sample) {
      if (i === j) continue;
      const c = assignments[j] as number;
      sums[c] = (sums[c] as number) + distances(i, j);
      counts[c] = (counts[c] as number) + 1;
    }
    const own = assignments[i] as number;
    if (counts[own] === 0) continue;
    const a = (sums[own] as number) / (counts[own] as number);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c !== own && (counts[c] as number) > 0)
        b = Math.min(b, (sums[c] as number) / (counts[c] as number));
    }
    if (Number.isFinite(b)) total += Math.max(a, b) > 0 ? (b - a) / Math.max(a, b) : 0;
  }
  return sample.length > 0 ? total / sample.length : 0;
}

function bestOf(points: readonly Float32Array[], k: number, seed: number, restarts: number): Clustering {
  let best: Clustering | undefined;
  for (let r = 0; r < restarts; r++) {
    const run = kMeans(points, k, seededRandom(seed + 7919 * k + r));
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best as Clustering;
}

function describeEach(
  histories: readonly (readonly SequenceEvent[])[],
  assignments: Int32Array,
  k: number,
  actions: readonly string[],
  conversionAction: string,
): SegmentDescription[] {
  return Array.from({ length: k }, (_, id) => {
    const categoryCounts = new Map<string, number>();
    const actionCounts = new Map<string, number>(actions.map((action) => [action, 0]));
    let size = 0;
    let converted = 0;
    let events = 0;
    histories.forEach((history, u) => {
      if (assignments[u] !== id) return;
      size++;
      if (history.some((event) => event.action === conversionAction)) converted++;
      for (const event of history) {
        events++;
        const category = event.categoryId ?? NO_CATEGORY;
        categoryCounts.set(category, (categoryCounts.get(category) ?? 0) + 1);
        actionCounts.set(event.action, (actionCounts.get(event.action) ?? 0) + 1);
      }
    });
    const share = (count: number) => (events > 0 ? count / events : 0);
    return {
      id,
      size,
      share: histories.length > 0 ? size / histories.length : 0,
      dominantCategories: [...categoryCounts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, DOMINANT_CATEGORIES)
        .map(([name, count]) => ({ name, share: share(count) })),
      actionMix: [...actionCounts.entries()].map(([name, count]) => ({ name, share: share(count) })),
      conversionRate: size > 0 ? converted / size : 0,
    };
  });
}

/**
 * Fits segments to the users' embeddings and describes each by its users' histories (the same
 * order as the embeddings): dominant categories, action mix, conversion rate and size.
 */
export function fitSegments(
  embeddings: readonly Float32Array[],
  histories: readonly (readonly SequenceEvent[])[],
  options: SegmentOptions,
): Segments {
  const n = embeddings.length;
  if (n === 0) throw new Error('segments need at least one user');
  if (histories.length !== n) throw new Error(`${n} embeddings but ${histories.length} histories`);
  const conversionAction = options.conversionAction ?? 'purchase';
  if (!options.actions.includes(conversionAction))
    throw new Error(`the conversion action "${conversionAction}" is not in the action vocabulary`);
  const restarts = options.restarts ?? 4;
  const sample = shuffle(
    Array.from({ length: n }, (_, i) => i),
    seededRandom(options.seed),
  )
    .slice(0, options.silhouetteSample ?? 2000)
    .sort((a, b) => a - b);
  // The sample's distances are shared by every k tried.
  const position = new Map(sample.map((user, i) => [user, i]));
  const matrix = new Float64Array(sample.length * sample.length);
  sample.forEach((a, i) => {
    for (let j = i + 1; j < sample.length; j++) {
      const d = Math.sqrt(
        squaredDistance(embeddings[a] as Float32Array, embeddings[sample[j] as number] as Float32Array),
      );
      matrix[i * sample.length + j] = d;
      matrix[j * sample.length + i] = d;
    }
  });
  const distance = (a: number, b: number) =>
    matrix[(position.get(a) as number) * sample.length + (position.get(b) as number)] as number;
  const silhouetteOf = (clustering: Clustering, k: number) =>
    k > 1 ? meanSilhouette(distance, sample, clustering.assignments, k) : null;

  let clustering: Clustering;
  let k: number;
  const tried: { k: number; silhouette: number }[] = [];
  if (options.k !== undefined) {
    if (!Number.isInteger(options.k) || options.k < 1 || options.k > n)
      throw new Error(`k must be between 1 and the number of users (${n}), got ${options.k}`);
    k = options.k;
    clustering = bestOf(embeddings, k, options.seed, restarts);
  } else {
    const [low, high] = options.kRange ?? DEFAULT_K_RANGE;
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 2 || high < low)
      throw new Error(`the k range must be two integers with 2 <= low <= high, got ${low}..${high}`);
    // A silhouette needs at least one cluster with two users and one other cluster.
    const top = Math.min(high, n - 1);
    if (top < low) throw new Error(`${n} users are too few to choose k in ${low}..${high}`);
    let best: { clustering: Clustering; k: number; silhouette: number } | undefined;
    for (let candidate = low; candidate <= top; candidate++) {
      const run = bestOf(embeddings, candidate, options.seed, restarts);
      const silhouette = silhouetteOf(run, candidate) as number;
      tried.push({ k: candidate, silhouette });
      if (!best || silhouette > best.silhouette) best = { clustering: run, k: candidate, silhouette };
    }
    ({ clustering, k } = best as { clustering: Clustering; k: number });
  }
  return {
    formatVersion: 1,
    modelVersion: options.modelVersion,
    createdAt: new Date().toISOString(),
    seed: options.seed,
    k,
    chosenBy: options.k !== undefined ? 'config' : 'silhouette',
    silhouette: silhouetteOf(clustering, k),
    tried,
    conversionAction,
    users: n,
    centroids: clustering.centroids.map((centroid) => Array.from(centroid)),
    segments: describeEach(histories, clustering.assignments, k, options.actions, conversionAction),
  };
}

/**
 * Fitted segments described again for other users (say, the events of a report rather than those
 * the segments were fitted on): each user joins the nearest centroid.
 */
export function describeSegments(
  segments: Segments,
  embeddings: readonly Float32Array[],
  histories: readonly (readonly SequenceEvent[])[],
): Segments {
  if (histories.length !== embeddings.length)
    throw new Error(`${embeddings.length} embeddings but ${histories.length} histories`);
  const assignments = Int32Array.from(embeddings, (embedding) => assignSegment(segments, embedding));
  const actions = segments.segments[0]?.actionMix.map((a) => a.name) ?? [];
  return {
    ...segments,
    users: embeddings.length,
    segments: describeEach(histories, assignments, segments.k, actions, segments.conversionAction),
  };
}

/** The segment of one user: the nearest centroid. */
export function assignSegment(
  segments: Pick<Segments, 'centroids'>,
  embedding: Float32Array | readonly number[],
): number {
  const first = segments.centroids[0];
  if (!first) throw new Error('the segments have no centroids');
  if (embedding.length !== first.length)
    throw new Error(`the embedding has ${embedding.length} values, the segments' centroids ${first.length}`);
  return nearest(embedding, segments.centroids).index;
}
