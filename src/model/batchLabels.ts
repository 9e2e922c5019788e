import type { EncodedBatch } from '../features/sequenceEncoding.js';
import { type RepeatCandidates, repeatCandidates } from './repeatCandidates.js';
import type { Role, TrainingChunk } from './trainingData.js';

/**
 * Per-step targets of a batch of chunks, aligned with the left-padded encoding. Square arrays are
 * [batch, length, length]: query step t (row) against history step j (column), j <= t.
 */
export interface BatchLabels {
  actionTarget: Int32Array;
  /** Item-vocabulary index of the next event, for the explore head. */
  itemTarget: Int32Array;
  nextWeight: Float32Array;
  churnLabel: Float32Array;
  churnWeight: Float32Array;
  /** 1 where candidate j of query step t is the very item of step t's next event. */
  repeatMatch: Float32Array;
  candidates: RepeatCandidates;
}

export function batchLabels(
  chunks: readonly TrainingChunk[],
  batch: EncodedBatch,
  role: Role,
  actionIndex: (action: string) => number,
  itemIndex: (itemId: string) => number,
): BatchLabels {
  const { batchSize, length } = batch;
  const size = batchSize * length;
  const labels: BatchLabels = {
    actionTarget: new Int32Array(size),
    itemTarget: new Int32Array(size),
    nextWeight: new Float32Array(size),
    churnLabel: new Float32Array(size),
    churnWeight: new Float32Array(size),
    repeatMatch: new Float32Array(size * length),
    candidates: repeatCandidates(batch, false),
  };
  chunks.forEach((chunk, b) => {
    const padding = length - chunk.events.length;
    chunk.events.forEach((_, i) => {
      const t = padding + i;
      const at = b * length + t;
      const next = chunk.next[i];
      if (next && chunk.nextRole[i] === role) {
        labels.actionTarget[at] = actionIndex(next.action);
        labels.itemTarget[at] = itemIndex(next.itemId);
        labels.nextWeight[at] = 1;
        for (let j = 0; j <= i; j++) {
          const column = at * length + padding + j;
          if (chunk.events[j]?.itemId === next.itemId && labels.candidates.allowed[column]) {
            labels.repeatMatch[column] = 1;
          }
        }
      }
      if (chunk.churnRole[i] === role) {
        labels.churnLabel[at] = chunk.churned[i] ? 1 : 0;
        labels.churnWeight[at] = 1;
      }
    });
  });
  return labels;
}
