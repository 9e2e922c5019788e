import * as tf from '@tensorflow/tfjs';
import type { EncodedBatch } from '../features/sequenceEncoding.js';
import { repeatCandidates } from './repeatCandidates.js';
import type { SequenceModel } from './sequenceModel.js';

/**
 * The history part of the next-item heads at the last step of each sequence: the repeat head's
 * attention over the history's items, and the explore logits of those items. Per event this is
 * about 2 × length × R multiply-adds. As tensor ops it took a dozen kernels over [n, length, R]
 * copies (gathered keys and item embeddings), the largest part of incremental scoring; here it
 * is plain loops over weights copied once. Same arithmetic as SequenceModel.repeatLogits followed
 * by a softmax (tested against it).
 */
export class HistoryHead {
  private readonly width: number;
  private readonly scale: number;
  /** [categories, R] and [actions + 1, R]: each category's and action's part of a key. */
  private readonly categoryKeys: Float32Array;
  private readonly actionKeys: Float32Array;
  /** [items, R] and [items] */
  private readonly itemEmbeddings: Float32Array;
  private readonly itemBias: Float32Array;
  private readonly rankBias: Float32Array;
  private readonly countBias: Float32Array;
  private readonly ageBias: Float32Array;
  private readonly actionsSeenBias: Float32Array;
  private readonly categoryRankBias: Float32Array;

  constructor(model: SequenceModel) {
    this.width = model.config.itemEmbeddingSize;
    this.scale = 1 / Math.sqrt(this.width);
    const tables = model.keyTables();
    try {
      this.categoryKeys = tables.category.dataSync() as Float32Array;
      this.actionKeys = tables.action.dataSync() as Float32Array;
    } finally {
      tf.dispose([tables.category, tables.action]);
    }
    // Copies: the model's tensors may be freed while this head is still referenced.
    const copy = (name: string) => Float32Array.from(model.params.get(name).dataSync() as Float32Array);
    this.itemEmbeddings = copy('emb.item');
    this.itemBias = copy('head.item.bias');
    this.rankBias = copy('head.rank.bias');
    this.countBias = copy('head.count.bias');
    this.ageBias = copy('head.age.bias');
    this.actionsSeenBias = copy('head.actionsSeen.bias');
    this.categoryRankBias = copy('head.categoryRank.bias');
  }

  /** [n, length] attention and history explore logits, for queries [n, R] at each row's last step. */
  read(query: Float32Array, batch: EncodedBatch): { attention: Float32Array; historyLogits: Float32Array } {
    const { batchSize, length } = batch;
    const { width, categoryKeys, actionKeys, itemEmbeddings, itemBias } = this;
    const candidates = repeatCandidates(batch, true);
    const attention = new Float32Array(batchSize * length);
    const historyLogits = new Float32Array(batchSize * length);
    for (let b = 0; b < batchSize; b++) {
      const q = b * width;
      let largest = Number.NEGATIVE_INFINITY;
      for (let at = b * length; at < (b + 1) * length; at++) {
        if (batch.mask[at] === 0) continue;
        const item = (batch.items[at] as number) * width;
        let explore = 0;
        for (let r = 0; r < width; r++)
          explore += (query[q + r] as number) * (itemEmbeddings[item + r] as number);
        historyLogits[at] = explore + (itemBias[batch.items[at] as number] as number);
        if (candidates.allowed[at] === 0) continue;
        const category = (batch.categories[at] as number) * width;
        const action = (batch.actions[at] as number) * width;
        let affinity = 0;
        for (let r = 0; r < width; r++) {
          affinity +=
            (query[q + r] as number) *
            ((categoryKeys[category + r] as number) + (actionKeys[action + r] as number));
        }
        const logit =
          affinity * this.scale +
          (this.rankBias[candidates.rank[at] as number] as number) +
          (this.countBias[candidates.count[at] as number] as number) +
          (this.ageBias[candidates.age[at] as number] as number) +
          (this.actionsSeenBias[candidates.actionsSeen[at] as number] as number) +
          (this.categoryRankBias[candidates.categoryRank[at] as number] as number);
        attention[at] = logit;
        largest = Math.max(largest, logit);
      }
      let total = 0;
      for (let at = b * length; at < (b + 1) * length; at++) {
        if (candidates.allowed[at] === 0) continue;
        const weight = Math.exp((attention[at] as number) - largest);
        attention[at] = weight;
        total += weight;
      }
      for (let at = b * length; at < (b + 1) * length; at++) {
        if (candidates.allowed[at] !== 0) attention[at] = (attention[at] as number) / total;
      }
    }
    return { attention, historyLogits };
  }
}
