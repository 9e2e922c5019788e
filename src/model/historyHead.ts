import type { EncodedBatch } from '../features/sequenceEncoding.js';
import { dotProduct } from './dotProduct.js';
import { type ExploreShortlist, exploreColumn } from './exploreShortlist.js';
import { repeatCandidates } from './repeatCandidates.js';
import type { SequenceModel } from './sequenceModel.js';

/** One part of a repeat candidate's key: embeddings [n, E] times weights [E, R]. */
interface KeyPart {
  embeddings: Float32Array;
  weights: Float32Array;
  embeddingSize: number;
  /** The current row's query times the weights' transpose: [E]. */
  projected: Float32Array;
}

function project(part: KeyPart, query: Float32Array, q: number, width: number): void {
  for (let e = 0; e < part.embeddingSize; e++)
    part.projected[e] = dotProduct(query, q, part.weights, e * width, width);
}

/** Row `index` of the part's keys, dotted with the query last projected. */
function affinity(part: KeyPart, index: number): number {
  return dotProduct(part.projected, 0, part.embeddings, index * part.embeddingSize, part.embeddingSize);
}

/**
 * The history part of the next-item heads at the last step of each sequence: the repeat head's
 * attention over the history's items, and the explore logits of the items whose explore share
 * the merge cannot read elsewhere. Per event this is at most length × (R + E) multiply-adds, E
 * being the category embedding's size, and fewer when items or categories repeat. As tensor ops it took a dozen kernels over [n, length, R]
 * copies (gathered keys and item embeddings), the largest part of incremental scoring; here it is
 * plain loops over weights copied once. The same result as SequenceModel.repeatLogits followed by
 * a softmax, up to rounding (tested against it).
 */
export class HistoryHead {
  private readonly width: number;
  private readonly scale: number;
  /**
   * A key's category part is its category's embedding [E] times head.key.category [E, R], and
   * likewise its action part. Its affinity with a query is then the embedding's dot product with
   * the query projected once per row onto those E dimensions (8 for categories, 4 for actions):
   * a dot product of width E per category instead of R (32). The category dots were most of the
   * head's cost, and they grew with the history.
   */
  private readonly category: KeyPart;
  private readonly action: KeyPart;
  /** [items, R] and [items] */
  private readonly itemEmbeddings: Float32Array;
  private readonly itemBias: Float32Array;
  private readonly rankBias: Float32Array;
  private readonly countBias: Float32Array;
  private readonly ageBias: Float32Array;
  private readonly actionsSeenBias: Float32Array;
  private readonly categoryRankBias: Float32Array;
  /**
   * Per vocabulary index, 1 where the merge reads the item's explore logit from this head: a
   * frequent item without a column of the explore softmax (exploreColumn). A hashed id has no
   * explore share of its own, and the softmax holds every other frequent item's; skipping those
   * saves most of the head's dot products, since a history's items are mostly popular ones.
   */
  private readonly needsExploreLogit: Uint8Array;

  constructor(model: SequenceModel, shortlist?: ExploreShortlist) {
    this.width = model.config.itemEmbeddingSize;
    this.scale = 1 / Math.sqrt(this.width);
    // Copies: the model's tensors may be freed while this head is still referenced.
    const copy = (name: string) => Float32Array.from(model.params.get(name).dataSync() as Float32Array);
    const keyPart = (embeddings: string, weights: string, embeddingSize: number): KeyPart => ({
      embeddings: copy(embeddings),
      weights: copy(weights),
      embeddingSize,
      projected: new Float32Array(embeddingSize),
    });
    this.category = keyPart('emb.category', 'head.key.category', model.config.categoryEmbeddingSize);
    this.action = keyPart('emb.action', 'head.key.action', model.config.actionEmbeddingSize);
    this.itemEmbeddings = copy('emb.item');
    this.itemBias = copy('head.item.bias');
    this.rankBias = copy('head.rank.bias');
    this.countBias = copy('head.count.bias');
    this.ageBias = copy('head.age.bias');
    this.actionsSeenBias = copy('head.actionsSeen.bias');
    this.categoryRankBias = copy('head.categoryRank.bias');
    this.needsExploreLogit = new Uint8Array(model.vocabularies.items.size);
    for (let index = 1; index <= model.vocabularies.items.frequent.length; index++) {
      if (exploreColumn(index, shortlist) < 0) this.needsExploreLogit[index] = 1;
    }
  }

  /**
   * [n, length] attention and history explore logits, for queries [n, R] at each row's last step.
   * The logits are 0 where the merge does not read them (see needsExploreLogit).
   */
  read(query: Float32Array, batch: EncodedBatch): { attention: Float32Array; historyLogits: Float32Array } {
    const { batchSize, length } = batch;
    const { width, category, action, itemEmbeddings, itemBias } = this;
    const candidates = repeatCandidates(batch, true);
    const attention = new Float32Array(batchSize * length);
    const historyLogits = new Float32Array(batchSize * length);
    // A key's affinity is query · (category key + action key). Its two dot products are computed
    // once per row and category or action, and an item's explore logit once per row and item: a
    // history repeats them, and these loops are most of the head's cost.
    const actionAffinity = new Float64Array(action.embeddings.length / action.embeddingSize);
    const categoryAffinity = new Float64Array(category.embeddings.length / category.embeddingSize);
    const categoryRowSeen = new Int32Array(categoryAffinity.length).fill(-1);
    const exploreOfKey = new Float64Array(length + 1);
    const keyRowSeen = new Int32Array(length + 1).fill(-1);
    for (let b = 0; b < batchSize; b++) {
      const q = b * width;
      project(category, query, q, width);
      project(action, query, q, width);
      for (let a = 0; a < actionAffinity.length; a++) actionAffinity[a] = affinity(action, a);
      let largest = Number.NEGATIVE_INFINITY;
      for (let at = b * length; at < (b + 1) * length; at++) {
        if (batch.mask[at] === 0) continue;
        const item = batch.items[at] as number;
        if (this.needsExploreLogit[item] === 1) {
          const key = batch.itemKeys[at] as number;
          if (keyRowSeen[key] !== b) {
            keyRowSeen[key] = b;
            exploreOfKey[key] =
              dotProduct(query, q, itemEmbeddings, item * width, width) + (itemBias[item] as number);
          }
          historyLogits[at] = exploreOfKey[key] as number;
        }
        if (candidates.allowed[at] === 0) continue;
        const categoryIndex = batch.categories[at] as number;
        if (categoryRowSeen[categoryIndex] !== b) {
          categoryRowSeen[categoryIndex] = b;
          categoryAffinity[categoryIndex] = affinity(category, categoryIndex);
        }
        const keyAffinity =
          (categoryAffinity[categoryIndex] as number) +
          (actionAffinity[batch.actions[at] as number] as number);
        const logit =
          keyAffinity * this.scale +
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
