import type { ActionVocabulary } from '../events/actionVocabulary.js';

/** What the encoder needs of an event; both WindowEntry and UserEvent have it. */
export interface SequenceEvent {
  action: string;
  tsMs: number;
}

/**
 * A batch of sequences as flat arrays, left-padded to a common length. Action ids are shifted by one
 * so that 0 means padding, which the model masks out: a short history is then scored exactly as if
 * it had never been padded.
 */
export interface EncodedBatch {
  batchSize: number;
  length: number;
  /** [batchSize * length], 0 = padding, 1..A = action index + 1 */
  actions: Int32Array;
  /** [batchSize * length], scaled log of the seconds since the user's previous event */
  gaps: Float32Array;
}

/** log1p(seconds) grows to about 13 for a week; dividing keeps the input near the unit range. */
const GAP_SCALE = 1 / 12;

export function scaledGap(previousMs: number | undefined, currentMs: number): number {
  if (previousMs === undefined) return 0;
  // Out-of-order arrivals give negative gaps; treat them as simultaneous rather than as time travel.
  const seconds = Math.max(0, (currentMs - previousMs) / 1000);
  return Math.log1p(seconds) * GAP_SCALE;
}

/**
 * Encodes each sequence's last `maxLength` events. The common length is the longest kept sequence,
 * so a batch of short histories costs only as many recurrent steps as it needs.
 */
export function encodeSequences(
  sequences: readonly (readonly SequenceEvent[])[],
  vocabulary: ActionVocabulary,
  maxLength: number,
): EncodedBatch {
  const length = Math.max(1, ...sequences.map((sequence) => Math.min(sequence.length, maxLength)));
  const actions = new Int32Array(sequences.length * length);
  const gaps = new Float32Array(sequences.length * length);
  sequences.forEach((sequence, row) => {
    const start = Math.max(0, sequence.length - maxLength);
    const kept = sequence.length - start;
    const offset = row * length + (length - kept);
    for (let i = 0; i < kept; i++) {
      const event = sequence[start + i] as SequenceEvent;
      const index = vocabulary.indexOf(event.action);
      if (index === undefined) throw new Error(`action "${event.action}" is not in the model's vocabulary`);
      actions[offset + i] = index + 1;
      gaps[offset + i] = scaledGap(sequence[start + i - 1]?.tsMs, event.tsMs);
    }
  });
  return { batchSize: sequences.length, length, actions, gaps };
}
