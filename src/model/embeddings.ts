import * as tf from '@tensorflow/tfjs';
import { encodeSequences, type SequenceEvent } from '../features/sequenceEncoding.js';
import { batchTensors, type SequenceModel } from './sequenceModel.js';
import { tidyRead } from './tidyRead.js';

/** Histories per forward pass: bounds the [batch, length, width] tensors of a large user base. */
const BATCH = 256;

/**
 * Each user's embedding: the encoder state after the user's last event (the first `hiddenSize`
 * columns of the step states; the rest are the step's own features, which describe the last event
 * rather than the user). A recurrent encoder carries its state through left padding unchanged, so
 * the embedding does not depend on which other histories share the batch.
 */
export function userEmbeddings(
  model: SequenceModel,
  histories: readonly (readonly SequenceEvent[])[],
): Float32Array[] {
  const hidden = model.config.hiddenSize;
  const embeddings: Float32Array[] = [];
  for (let start = 0; start < histories.length; start += BATCH) {
    const chunk = histories.slice(start, start + BATCH);
    const empty = chunk.findIndex((history) => history.length === 0);
    if (empty >= 0) throw new Error(`history ${start + empty} is empty: a user embedding needs an event`);
    const batch = encodeSequences(chunk, model.vocabularies, model.config.maxLength);
    const { values } = tidyRead(() => {
      const { states } = model.steps(batchTensors(batch));
      return { values: tf.slice(states, [0, batch.length - 1, 0], [batch.batchSize, 1, hidden]) };
    });
    for (let row = 0; row < chunk.length; row++)
      embeddings.push(values.slice(row * hidden, (row + 1) * hidden));
  }
  return embeddings;
}
