import * as tf from '@tensorflow/tfjs';
import { fnv1a } from '../features/idVocabulary.js';
import {
  type EncodedBatch,
  encodeSequences,
  type SequenceEvent,
  STEP_NUMERIC_FEATURES,
} from '../features/sequenceEncoding.js';
import { type RecurrentState, recurrentFinalState, recurrentStep } from './encoders.js';
import type { ExploreShortlist } from './exploreShortlist.js';
import { HistoryHead } from './historyHead.js';
import { mergePredictions, type Prediction, predictLast, stateHeads } from './inference.js';
import { batchTensors, type SequenceModel } from './sequenceModel.js';
import { tidyRead } from './tidyRead.js';

/**
 * Scores events one recurrent step each, from the state stored with the user's window: the cost of
 * an event no longer grows with the window. The state is stored as int8 with a scale per vector
 * (73 bytes for a GRU of 64 units, against 256 as float32), tagged with the model version; a state
 * of another version, a missing one, or an out-of-order arrival (which changes the past) is rebuilt
 * from the stored window by the whole-sequence path. The attention encoder cannot step: it always
 * scores from the window, which is bounded by the model's maximum length.
 */

export interface UserSteps {
  /** As stored after the user's last scored event; empty when none. */
  modelState: Buffer;
  /** New events in the order they were applied. */
  events: readonly {
    placed: boolean;
    /** The last `limit` events up to and including this one. */
    history: (limit: number) => readonly SequenceEvent[];
  }[];
}

export interface ScoredUser {
  predictions: Prediction[];
  /**
   * The user's embedding after each event: the recurrent state, for segments. After a rebuild, the
   * state after the user's last event stands for all of them; attention models have none.
   */
  embeddings: (Float32Array | undefined)[];
  /** The state after the user's last event; null when the model keeps none. */
  modelState: Buffer | null;
}

/** Numbers of users scored incrementally and rebuilt from their windows, by reason. */
export interface StepCounts {
  stepped: number;
  rebuiltMissing: number;
  rebuiltVersion: number;
  rebuiltReordered: number;
}

const QUANTUM = 127;

export function modelTag(version: string): number {
  return fnv1a(version);
}

/** tag u32 | vectors u8 | per vector: scale f32, int8 × hidden */
export function encodeModelState(tag: number, vectors: readonly Float32Array[]): Buffer {
  const hidden = vectors[0]?.length ?? 0;
  const out = Buffer.alloc(5 + vectors.length * (4 + hidden));
  out.writeUInt32BE(tag, 0);
  out.writeUInt8(vectors.length, 4);
  let at = 5;
  for (const vector of vectors) {
    let largest = 0;
    for (const value of vector) largest = Math.max(largest, Math.abs(value));
    const scale = largest / QUANTUM || 1;
    at = out.writeFloatBE(scale, at);
    for (const value of vector) at = out.writeInt8(Math.round(value / scale), at);
  }
  return out;
}

/** The state's vectors, or undefined when it is missing, of another model or of another shape. */
export function decodeModelState(
  state: Buffer,
  tag: number,
  vectorCount: number,
  hidden: number,
): Float32Array[] | undefined {
  if (state.length !== 5 + vectorCount * (4 + hidden)) return undefined;
  if (state.readUInt32BE(0) !== tag || state.readUInt8(4) !== vectorCount) return undefined;
  const vectors: Float32Array[] = [];
  let at = 5;
  for (let v = 0; v < vectorCount; v++) {
    const scale = state.readFloatBE(at);
    at += 4;
    const vector = new Float32Array(hidden);
    for (let i = 0; i < hidden; i++) vector[i] = state.readInt8(at + i) * scale;
    at += hidden;
    vectors.push(vector);
  }
  return vectors;
}

interface Live {
  user: number;
  h: Float32Array;
  c?: Float32Array;
}

/** The batch's last step alone, as a batch of length 1. */
function lastSteps(batch: EncodedBatch): EncodedBatch {
  const { batchSize, length } = batch;
  const pick = <T extends Int32Array | Float32Array>(values: T, width = 1): T => {
    const out = new (values.constructor as new (size: number) => T)(batchSize * width);
    for (let b = 0; b < batchSize; b++) {
      out.set(values.subarray((b * length + length - 1) * width, (b * length + length) * width), b * width);
    }
    return out;
  };
  return {
    batchSize,
    length: 1,
    items: pick(batch.items),
    categories: pick(batch.categories),
    actions: pick(batch.actions),
    hours: pick(batch.hours),
    numeric: pick(batch.numeric, STEP_NUMERIC_FEATURES),
    mask: pick(batch.mask),
    itemKeys: pick(batch.itemKeys),
    secondsBeforeLast: pick(batch.secondsBeforeLast),
  };
}

/** Whether the user's new events are all the events the user has: no window before them. */
function firstEvents(user: UserSteps): boolean {
  const first = user.events[0];
  return user.modelState.length === 0 && first !== undefined && first.history(2).length === 1;
}

export class IncrementalScorer {
  private readonly tag: number;
  private readonly vectorCount: number;
  private readonly history: HistoryHead;

  constructor(
    private readonly model: SequenceModel,
    version: string,
    private readonly topK: number,
    private readonly shortlist?: ExploreShortlist,
  ) {
    this.tag = modelTag(version);
    this.vectorCount = model.config.architecture === 'lstm' ? 2 : 1;
    this.history = new HistoryHead(model);
  }

  get recurrent(): boolean {
    return this.model.config.architecture !== 'attention';
  }

  score(users: readonly UserSteps[], counts?: StepCounts): ScoredUser[] {
    const results: ScoredUser[] = users.map(() => ({ predictions: [], embeddings: [], modelState: null }));
    const live: Live[] = [];
    const rebuild: number[] = [];
    users.forEach((user, u) => {
      if (!this.recurrent) {
        rebuild.push(u);
        return;
      }
      const placed = user.events.some((event) => event.placed);
      const hidden = this.model.config.hiddenSize;
      // A user whose first event this is starts from the encoder's initial state: nothing to rebuild.
      const vectors = placed
        ? undefined
        : firstEvents(user)
          ? Array.from({ length: this.vectorCount }, () => new Float32Array(hidden))
          : decodeModelState(user.modelState, this.tag, this.vectorCount, hidden);
      if (counts) {
        if (placed) counts.rebuiltReordered++;
        else if (!vectors && user.modelState.length === 0) counts.rebuiltMissing++;
        else if (!vectors) counts.rebuiltVersion++;
        else counts.stepped++;
      }
      if (vectors)
        live.push({ user: u, h: vectors[0] as Float32Array, ...(vectors[1] ? { c: vectors[1] } : {}) });
      else rebuild.push(u);
    });
    this.step(users, live, results);
    this.rebuild(users, rebuild, results);
    return results;
  }

  /** One recurrent step per event, in rounds: the r-th new event of every user at once. */
  private step(users: readonly UserSteps[], live: Live[], results: ScoredUser[]): void {
    const { model } = this;
    const maxLength = model.config.maxLength;
    const architecture = model.config.architecture as Exclude<typeof model.config.architecture, 'attention'>;
    for (let round = 0; ; round++) {
      const active = live.filter((entry) => (users[entry.user] as UserSteps).events.length > round);
      if (active.length === 0) break;
      const histories = active.map((entry) =>
        ((users[entry.user] as UserSteps).events[round] as UserSteps['events'][number]).history(maxLength),
      );
      const batch = encodeSequences(histories, model.vocabularies, maxLength);
      const { batchSize } = batch;
      const hidden = model.config.hiddenSize;
      const flat = (vectors: Float32Array[]) => {
        const out = new Float32Array(vectors.length * hidden);
        vectors.forEach((vector, i) => {
          out.set(vector, i * hidden);
        });
        return out;
      };
      const stepped = tf.tidy(() => {
        // Only the new event is an encoder input; the history only gives the repeat head its
        // candidates, which HistoryHead reads.
        const { stepInputs, context } = model.embed(batchTensors(lastSteps(batch)));
        const last = (t: tf.Tensor3D) => tf.reshape(t, [batchSize, -1]) as tf.Tensor2D;
        const x = tf.add(tf.matMul(last(stepInputs), model.params.get('enc.wx')), model.params.get('enc.b'));
        const previous: RecurrentState = {
          h: tf.tensor2d(flat(active.map((entry) => entry.h)), [batchSize, hidden]),
        };
        if (architecture === 'lstm') {
          previous.c = tf.tensor2d(flat(active.map((entry) => entry.c as Float32Array)), [batchSize, hidden]);
        }
        const next = recurrentStep(architecture, model.params, x as tf.Tensor2D, previous);
        const states = tf.concat([next.h, last(context)], 1) as tf.Tensor2D;
        const query = tf.squeeze(model.query(tf.expandDims(states, 1) as tf.Tensor3D), [1]) as tf.Tensor2D;
        return { states, query, h: next.h, c: next.c };
      });
      try {
        const heads = stateHeads(model, stepped.states, stepped.query, this.shortlist);
        const history = this.history.read(stepped.query.dataSync() as Float32Array, batch);
        const predictions = mergePredictions(
          model,
          { ...heads, ...history },
          batch,
          histories,
          this.topK,
          this.shortlist,
        );
        const h = stepped.h.dataSync() as Float32Array;
        const c = stepped.c?.dataSync() as Float32Array | undefined;
        active.forEach((entry, i) => {
          entry.h = h.slice(i * hidden, (i + 1) * hidden);
          if (c) entry.c = c.slice(i * hidden, (i + 1) * hidden);
          (results[entry.user] as ScoredUser).predictions.push(predictions[i] as Prediction);
          (results[entry.user] as ScoredUser).embeddings.push(entry.h);
        });
      } finally {
        tf.dispose(stepped);
      }
    }
    for (const entry of live) {
      const vectors = entry.c ? [entry.h, entry.c] : [entry.h];
      (results[entry.user] as ScoredUser).modelState = encodeModelState(this.tag, vectors);
    }
  }

  /** Whole-sequence scoring of each event's history, then the state from the user's whole window. */
  private rebuild(users: readonly UserSteps[], rebuild: readonly number[], results: ScoredUser[]): void {
    if (rebuild.length === 0) return;
    const { model } = this;
    const histories = rebuild.flatMap((u) =>
      (users[u] as UserSteps).events.map((event) => event.history(model.config.maxLength)),
    );
    const predictions = predictLast(model, histories, this.topK, this.shortlist);
    let next = 0;
    for (const u of rebuild) {
      const count = (users[u] as UserSteps).events.length;
      (results[u] as ScoredUser).predictions = predictions.slice(next, next + count);
      next += count;
    }
    if (!this.recurrent) return;
    const windows = rebuild.map((u) => {
      const events = (users[u] as UserSteps).events;
      return (events[events.length - 1] as UserSteps['events'][number]).history(Number.POSITIVE_INFINITY);
    });
    const longest = Math.max(...windows.map((window) => window.length));
    const batch = encodeSequences(windows, model.vocabularies, longest);
    const hidden = model.config.hiddenSize;
    const final: Partial<Record<'h' | 'c', Float32Array>> = tidyRead(
      (): Partial<Record<'h' | 'c', tf.Tensor>> => {
        const inputs = batchTensors(batch);
        const state = recurrentFinalState(
          model.encoderSpec,
          model.params,
          model.embed(inputs).stepInputs,
          inputs.mask,
        );
        return state.c ? { h: state.h, c: state.c } : { h: state.h };
      },
    );
    rebuild.forEach((u, i) => {
      const vectors = [(final.h as Float32Array).slice(i * hidden, (i + 1) * hidden)];
      if (final.c) vectors.push(final.c.slice(i * hidden, (i + 1) * hidden));
      const result = results[u] as ScoredUser;
      result.modelState = encodeModelState(this.tag, vectors);
      result.embeddings = result.predictions.map(() => vectors[0]);
    });
  }
}
