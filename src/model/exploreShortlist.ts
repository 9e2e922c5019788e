import * as tf from '@tensorflow/tfjs';
import { dotProduct } from './dotProduct.js';
import { ReusedRead } from './reusedRead.js';
import type { SequenceModel } from './sequenceModel.js';

/**
 * The column of exploreShares (see inference.ts) that holds the explore share of the frequent item
 * at vocabulary index `index`: its shortlist position, or -1 when it is not on the shortlist;
 * without one, every frequent item has its column. An item without a column has its explore
 * logit computed by the history head instead.
 */
export function exploreColumn(index: number, shortlist: ExploreShortlist | undefined): number {
  return shortlist ? shortlist.positionOf(index) : index - 1;
}

/** The vocabulary index of the frequent item in column `column` of exploreShares: exploreColumn's inverse. */
export function exploreItemIndex(column: number, shortlist: ExploreShortlist | undefined): number {
  return shortlist ? (shortlist.itemIndex(column) as number) : column + 1;
}

/** float32's smallest normal number, with a margin: above it a share keeps its relative precision. */
const PRECISE_SHARE = 1e-30;

/**
 * Added to logShareBound's result, relative to the magnitudes in it. The shares come from float32
 * products and a float32 softmax, whose logits can differ from exact ones by about 1e-5 of those
 * magnitudes: a hundred times that keeps the bound above every share as computed.
 */
const BOUND_SLACK = 1e-3;

/** Per row of scored events, what ExploreShortlist.logShareBound needs. */
export interface ShareBounds {
  /** [n]: the Euclidean norm of each row's query. */
  queryNorm: Float64Array;
  /** [n]: the log of each row's softmax normalizer over the shortlist. */
  logHead: Float64Array;
}

/**
 * The explore head's top items without scoring the whole vocabulary for every event. Its logit is
 * q·e_i + b_i, and the learned popularity bias b_i dominates: on the Taobao dev model, the 2,048
 * items with the largest bias hold 99.9% of the exact top 10 (1,024: 92%). So only those are scored
 * exactly. The softmax still needs the whole vocabulary's mass, most of which is in the long tail
 * (64% of it at 2,048); it is estimated with the second-order expansion of exp around q = 0,
 *
 *   Σ_tail exp(b_i + q·e_i) ≈ Σ exp(b_i) (1 + q·e_i + (q·e_i)² / 2) = s0 + q·s1 + q S2 qᵀ / 2,
 *
 * whose sums are computed once per model (mean relative error of the normalizer 4% on that model).
 */
export class ExploreShortlist {
  readonly size: number;
  private readonly indexes: Int32Array;
  /** Per vocabulary index, its position in the shortlist, or -1. */
  private readonly positions: Int32Array;
  private readonly embeddings: tf.Tensor2D;
  private readonly bias: tf.Tensor1D;
  /** The same embeddings [size, R] and biases as plain arrays, for one item's logit. */
  private readonly embeddingValues: Float32Array;
  private readonly biasValues: Float32Array;
  /** Per position n, the largest bias and the largest embedding norm of positions n and after. */
  private readonly biasFrom: Float64Array;
  private readonly normFrom: Float64Array;
  /** exp(shift) * (s0, s1, S2) are the tail sums; the shift keeps them in float range. */
  private readonly shift: number;
  private readonly s0: number;
  private readonly s1: tf.Tensor2D;
  private readonly s2: tf.Tensor2D;
  /** Where probabilities() reads its shares: [n, size] floats, 4 MB a micro-batch of 500. */
  private readonly sharesRead = new ReusedRead();

  private constructor(model: SequenceModel, indexes: Int32Array) {
    this.size = indexes.length;
    this.indexes = indexes;
    this.positions = new Int32Array(model.vocabularies.items.size).fill(-1);
    indexes.forEach((index, n) => {
      this.positions[index] = n;
    });
    const allEmbeddings = model.params.get('emb.item') as tf.Tensor2D;
    const allBias = model.params.get('head.item.bias') as tf.Tensor1D;
    const picked = tf.tensor1d(indexes, 'int32');
    const rows = tf.gather(allEmbeddings, picked);
    this.embeddingValues = rows.dataSync() as Float32Array;
    // Stored [R, size]: a product with a transposed operand would transpose the table on every call.
    this.embeddings = tf.keep(tf.transpose(rows)) as tf.Tensor2D;
    this.bias = tf.keep(tf.gather(allBias, picked)) as tf.Tensor1D;
    this.biasValues = this.bias.dataSync() as Float32Array;
    tf.dispose([picked, rows]);
    const width = allEmbeddings.shape[1];
    this.biasFrom = new Float64Array(this.size + 1).fill(Number.NEGATIVE_INFINITY);
    this.normFrom = new Float64Array(this.size + 1);
    for (let n = this.size - 1; n >= 0; n--) {
      const norm = Math.sqrt(
        dotProduct(this.embeddingValues, n * width, this.embeddingValues, n * width, width),
      );
      this.biasFrom[n] = Math.max(this.biasValues[n] as number, this.biasFrom[n + 1] as number);
      this.normFrom[n] = Math.max(norm, this.normFrom[n + 1] as number);
    }

    const vocabulary = allEmbeddings.shape[0];
    const embeddings = allEmbeddings.dataSync() as Float32Array;
    const bias = allBias.dataSync() as Float32Array;
    let shift = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < vocabulary; i++)
      if (this.positionOf(i) < 0) shift = Math.max(shift, bias[i] as number);
    this.shift = Number.isFinite(shift) ? shift : 0;
    let s0 = 0;
    const s1 = new Float64Array(width);
    const s2 = new Float64Array(width * width);
    for (let i = 0; i < vocabulary; i++) {
      if (this.positionOf(i) >= 0) continue;
      const weight = Math.exp((bias[i] as number) - this.shift);
      s0 += weight;
      const row = i * width;
      for (let a = 0; a < width; a++) {
        const ea = (embeddings[row + a] as number) * weight;
        s1[a] = (s1[a] as number) + ea;
        for (let c = 0; c < width; c++) {
          s2[a * width + c] = (s2[a * width + c] as number) + ea * (embeddings[row + c] as number);
        }
      }
    }
    this.s0 = s0;
    this.s1 = tf.keep(tf.tensor2d(Float32Array.from(s1), [width, 1]));
    this.s2 = tf.keep(tf.tensor2d(Float32Array.from(s2), [width, width]));
  }

  /**
   * A shortlist of the `size` frequent items with the largest bias, or undefined when that would be
   * every frequent item (the exact softmax is then as cheap).
   */
  static build(model: SequenceModel, size: number): ExploreShortlist | undefined {
    const frequent = model.vocabularies.items.frequent.length;
    if (size <= 0 || size >= frequent) return undefined;
    const bias = model.params.get('head.item.bias').dataSync() as Float32Array;
    const order = Array.from({ length: frequent }, (_, i) => i + 1).sort(
      (x, y) => (bias[y] as number) - (bias[x] as number),
    );
    return new ExploreShortlist(model, Int32Array.from(order.slice(0, size)));
  }

  /** The vocabulary index of the n-th shortlist item. */
  itemIndex(n: number): number | undefined {
    return this.indexes[n];
  }

  /** The position in the shortlist of the item at vocabulary index `index`, or -1. */
  positionOf(index: number): number {
    return this.positions[index] ?? -1;
  }

  /**
   * [n, size] explore logits of the shortlist. The fused product adds the bias in its own pass;
   * a separate add took another pass over [n, size], about 1 µs a row of 2,048.
   */
  logits(query: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: query, b: this.embeddings, bias: this.bias }) as tf.Tensor2D;
  }

  /** [n] the tail's sum s0 + q·s1 + q S2 qᵀ / 2, before the shift. */
  private tail(query: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const linear = tf.squeeze(tf.matMul(query, this.s1), [1]);
      const quadratic = tf.sum(tf.mul(tf.matMul(query, this.s2), query), 1);
      return tf.add(tf.add(this.s0, linear), tf.mul(quadratic, 0.5)) as tf.Tensor1D;
    });
  }

  /**
   * The explore softmax over the whole vocabulary, read on the shortlist: for each row, the
   * shortlist's own softmax [n, size] and the factor [n] that turns it into probabilities under the
   * whole vocabulary (the shortlist's share of the mass), and the log of the normalizer [n] (exact
   * over the shortlist's logits, estimated over the tail). The softmax runs as one backend kernel
   * (XNNPACK's, on WASM): an exp per logit in plain code was the largest single cost of scoring,
   * about 26 µs an event. Its normalizer follows from any one item's logit and probability,
   * log Z_head = logit - log p, with p read to float32's relative precision as long as it is a
   * normal number. The shortlist's first item, the one with the largest bias, almost always has
   * such a share, and its logit is one dot product; only a row where it does not is scanned for
   * its most likely item. The largest logit and the shares scaled in place took passes over every
   * item (two max kernels and a loop: 9.34 against 8.55 ms for 472 rows), and scanning every row
   * for its most likely item took about 4 µs a row. The shares are valid until the next call
   * (see ReusedRead): scoring merges them into next items before it scores another batch.
   */
  probabilities(query: tf.Tensor2D): {
    shares: Float32Array;
    scale: Float32Array;
    logNormalizer: Float32Array;
    bounds: ShareBounds;
  } {
    const computed = tf.tidy(() => ({ shares: tf.softmax(this.logits(query)), tail: this.tail(query) }));
    let shares: Float32Array;
    let tail: Float32Array;
    try {
      shares = this.sharesRead.read(computed.shares);
      tail = computed.tail.dataSync() as Float32Array;
    } finally {
      tf.dispose([computed.shares, computed.tail]);
    }
    const queries = query.dataSync() as Float32Array;
    const width = queries.length / tail.length;
    const scale = new Float32Array(tail.length);
    const logNormalizer = new Float32Array(tail.length);
    const bounds: ShareBounds = {
      queryNorm: new Float64Array(tail.length),
      logHead: new Float64Array(tail.length),
    };
    for (let b = 0; b < tail.length; b++) {
      const row = b * this.size;
      let best = 0;
      if ((shares[row] as number) < PRECISE_SHARE) {
        for (let n = 1; n < this.size; n++)
          if ((shares[row + n] as number) > (shares[row + best] as number)) best = n;
      }
      const logit =
        (this.biasValues[best] as number) +
        dotProduct(queries, b * width, this.embeddingValues, best * width, width);
      const logHead = logit - Math.log(shares[row + best] as number);
      const logTotal = logHead + Math.log1p(Math.exp(this.shift - logHead) * (tail[b] as number));
      logNormalizer[b] = logTotal;
      scale[b] = Math.exp(logHead - logTotal);
      bounds.logHead[b] = logHead;
      bounds.queryNorm[b] = Math.sqrt(dotProduct(queries, b * width, queries, b * width, width));
    }
    return { shares, scale, logNormalizer, bounds };
  }

  /**
   * The log of an upper bound on the shares of a row's columns from `column` on: each is
   * exp(b_i + q·e_i - logHead), and q·e_i is at most |q| |e_i| (Cauchy–Schwarz). The shortlist is
   * ordered by bias, largest first: the bound falls along the row as the biases do, and a scan for
   * the row's best items can stop where it falls below them.
   */
  logShareBound(column: number, queryNorm: number, logHead: number): number {
    const exponent = (this.biasFrom[column] as number) + queryNorm * (this.normFrom[column] as number);
    return exponent - logHead + BOUND_SLACK * (1 + Math.abs(exponent) + Math.abs(logHead));
  }

  dispose(): void {
    tf.dispose([this.embeddings, this.bias, this.s1, this.s2]);
  }
}
