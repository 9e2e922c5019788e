import * as tf from '@tensorflow/tfjs';
import { pooledBuffer } from '../events/binaryIds.js';
import type { HistorySteps } from '../features/historySteps.js';
import { fnv1a } from '../features/idVocabulary.js';
import {
  type EncodedBatch,
  encodeHistories,
  type FeatureVocabularies,
  type SequenceEvent,
  STEP_NUMERIC_FEATURES,
} from '../features/sequenceEncoding.js';
import { recurrentFinalState } from './encoders.js';
import type { ExploreShortlist } from './exploreShortlist.js';
import { HistoryHead } from './historyHead.js';
import { mergePredictions, type Prediction, predictLastOfSteps, stateHeads } from './inference.js';
import { RecurrentGates } from './recurrentGates.js';
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
    /** The same events as steps, their ids looked up in `vocabularies`. */
    steps: (limit: number, vocabularies: FeatureVocabularies) => HistorySteps;
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
  const out = pooledBuffer(5 + vectors.length * (4 + hidden));
  out.writeUInt32BE(tag, 0);
  out.writeUInt8(vectors.length, 4);
  let at = 5;
  for (const vector of vectors) {
    // Index loops: iterating a Float32Array with for-of allocated an iterator result per value here.
    let largest = 0;
    for (let i = 0; i < hidden; i++) largest = Math.max(largest, Math.abs(vector[i] as number));
    const scale = largest / QUANTUM || 1;
    at = out.writeFloatBE(scale, at);
    for (let i = 0; i < hidden; i++) out[at + i] = Math.round((vector[i] as number) / scale) & 0xff;
    at += hidden;
  }
  return out;
}

/**
 * The state's vectors, or undefined when it is missing, of another model or of another shape. They
 * are views of `into` (vectorCount * hidden values), so that a batch's users can share one
 * ArrayBuffer: one per user cost the scavenger a sweep each.
 */
export function decodeModelState(
  state: Buffer,
  tag: number,
  vectorCount: number,
  hidden: number,
  into = new Float32Array(vectorCount * hidden),
): Float32Array[] | undefined {
  if (state.length !== 5 + vectorCount * (4 + hidden)) return undefined;
  if (state.readUInt32BE(0) !== tag || state.readUInt8(4) !== vectorCount) return undefined;
  const vectors: Float32Array[] = [];
  let at = 5;
  for (let v = 0; v < vectorCount; v++) {
    const scale = state.readFloatBE(at);
    at += 4;
    const vector = into.subarray(v * hidden, (v + 1) * hidden);
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
  // Element by element: a subarray per row and column to copy from cost more than the copy.
  const pick = <T extends Int32Array | Float32Array>(values: T, width = 1): T => {
    const out = new (values.constructor as new (size: number) => T)(batchSize * width);
    for (let b = 0; b < batchSize; b++) {
      const from = (b * length + length - 1) * width;
      for (let i = 0; i < width; i++) out[b * width + i] = values[from + i] as number;
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
  private readonly gates: RecurrentGates | undefined;

  constructor(
    private readonly model: SequenceModel,
    version: string,
    private readonly topK: number,
    private readonly shortlist?: ExploreShortlist,
  ) {
    this.tag = modelTag(version);
    this.vectorCount = model.config.architecture === 'lstm' ? 2 : 1;
    this.history = new HistoryHead(model, shortlist);
    const { architecture, hiddenSize } = model.config;
    this.gates =
      architecture === 'attention' ? undefined : new RecurrentGates(architecture, model.params, hiddenSize);
  }

  get recurrent(): boolean {
    return this.model.config.architecture !== 'attention';
  }

  score(users: readonly UserSteps[], counts?: StepCounts): ScoredUser[] {
    const results: ScoredUser[] = users.map(() => ({ predictions: [], embeddings: [], modelState: null }));
    const live: Live[] = [];
    const rebuild: number[] = [];
    const hidden = this.model.config.hiddenSize;
    const slabWidth = this.vectorCount * hidden;
    // The users' stored states, decoded into one array (zeros: the initial state). Attention models
    // keep no state, so they get none.
    const stateSlab = new Float32Array(this.recurrent ? users.length * slabWidth : 0);
    users.forEach((user, u) => {
      if (!this.recurrent) {
        rebuild.push(u);
        return;
      }
      const placed = user.events.some((event) => event.placed);
      const slab = stateSlab.subarray(u * slabWidth, (u + 1) * slabWidth);
      // A user whose first event this is starts from the encoder's initial state: nothing to rebuild.
      const vectors = placed
        ? undefined
        : firstEvents(user)
          ? Array.from({ length: this.vectorCount }, (_, v) => slab.subarray(v * hidden, (v + 1) * hidden))
          : decodeModelState(user.modelState, this.tag, this.vectorCount, hidden, slab);
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

  /**
   * One recurrent step per event. A user's events must be stepped in order, so the steps run in
   * rounds: round r steps the r-th new event of every user that has one (a busy user can have
   * dozens in one batch). With users ordered by their number of new events, those of round r are a
   * prefix of the order. Encoding, embedding, the input product, the heads and the merge run once
   * over all the batch's events; a round is only the states' product with enc.wh, one kernel, and
   * the gates in plain loops. With the states' upload and the product's read-back, the kernel cost
   * about what a plain-loop product cost for one user (40 against 39 µs) and a quarter of it for
   * eight (83 against 314).
   */
  private step(users: readonly UserSteps[], live: Live[], results: ScoredUser[]): void {
    if (live.length === 0) return;
    const { model } = this;
    const gates = this.gates as RecurrentGates;
    const maxLength = model.config.maxLength;
    const hidden = model.config.hiddenSize;
    const eventCount = (entry: Live) => (users[entry.user] as UserSteps).events.length;
    const ordered = [...live].sort((a, b) => eventCount(b) - eventCount(a));
    // The batch's events user by user, in order: eventsOf[l][r] is the r-th new event of ordered[l].
    const histories: HistorySteps[] = [];
    const owner: number[] = [];
    const eventsOf = ordered.map((entry, l) =>
      (users[entry.user] as UserSteps).events.map((event) => {
        owner.push(l);
        histories.push(event.steps(maxLength, model.vocabularies));
        return histories.length - 1;
      }),
    );
    const batch = encodeHistories(histories, model.vocabularies, maxLength, { stepFeatures: 'last' });
    const count = batch.batchSize;
    // Only the new event is an encoder input; the history only gives the repeat head its
    // candidates, which HistoryHead reads.
    const { x, context } = tidyRead(() => {
      const { stepInputs, context } = model.embed(batchTensors(lastSteps(batch)));
      const flat = (t: tf.Tensor3D) => tf.reshape(t, [count, -1]) as tf.Tensor2D;
      return {
        x: tf.add(tf.matMul(flat(stepInputs), model.params.get('enc.wx')), model.params.get('enc.b')),
        context: flat(context),
      };
    });
    const width = x.length / count;
    // Each user's state, advanced in place (views of the batch's decoded states). What the heads
    // read, each event's state next to its context as SequenceModel.headStates, is filled as it goes.
    const hs = ordered.map((entry) => entry.h);
    const cs = ordered.map((entry) => entry.c);
    const contextWidth = context.length / count;
    const stateWidth = hidden + contextWidth;
    const stateValues = new Float32Array(count * stateWidth);
    const rounds = eventsOf[0]?.length ?? 0;
    for (let r = 0, stepping = ordered.length; r < rounds; r++) {
      while (stepping > 0 && (eventsOf[stepping - 1] as number[]).length <= r) stepping--;
      const hw = this.stateProduct(hs, stepping);
      for (let l = 0; l < stepping; l++) {
        const event = (eventsOf[l] as number[])[r] as number;
        const h = hs[l] as Float32Array;
        gates.step(x, event * width, hw, l * width, h, cs[l]);
        stateValues.set(h, event * stateWidth);
        stateValues.set(
          context.subarray(event * contextWidth, (event + 1) * contextWidth),
          event * stateWidth + hidden,
        );
      }
    }
    const states = tf.tensor2d(stateValues, [count, stateWidth]);
    // model.query's product without its reshapes to and from one step a row.
    const query = tf.matMul(states, model.params.get('head.query.w')) as tf.Tensor2D;
    try {
      const heads = stateHeads(model, states, query, this.shortlist);
      const history = this.history.read(query.dataSync() as Float32Array, batch);
      const predictions = mergePredictions(
        model,
        { ...heads, ...history },
        batch,
        histories,
        this.topK,
        this.shortlist,
      );
      predictions.forEach((prediction, e) => {
        const result = results[(ordered[owner[e] as number] as Live).user] as ScoredUser;
        result.predictions.push(prediction);
        // Views, not copies: a copy cost about 1 µs an event (an ArrayBuffer each), and an
        // embedding is read (segments, profiles) before the batch's results are dropped.
        result.embeddings.push(stateValues.subarray(e * stateWidth, e * stateWidth + hidden));
      });
      ordered.forEach((entry, l) => {
        const vectors = [hs[l] as Float32Array];
        const c = cs[l];
        if (c) vectors.push(c);
        (results[entry.user] as ScoredUser).modelState = encodeModelState(this.tag, vectors);
      });
    } finally {
      tf.dispose([states, query]);
    }
  }

  /** The first `users` states times enc.wh, as one kernel: [users, gates × hidden]. */
  private stateProduct(hs: readonly Float32Array[], users: number): Float32Array {
    const hidden = this.model.config.hiddenSize;
    const stacked = new Float32Array(users * hidden);
    for (let l = 0; l < users; l++) stacked.set(hs[l] as Float32Array, l * hidden);
    return tidyRead(() => ({
      hw: tf.matMul(tf.tensor2d(stacked, [users, hidden]), this.model.params.get('enc.wh')),
    })).hw;
  }

  /** Whole-sequence scoring of each event's history, then the state from the user's whole window. */
  private rebuild(users: readonly UserSteps[], rebuild: readonly number[], results: ScoredUser[]): void {
    if (rebuild.length === 0) return;
    const { model } = this;
    const histories = rebuild.flatMap((u) =>
      (users[u] as UserSteps).events.map((event) => event.steps(model.config.maxLength, model.vocabularies)),
    );
    const predictions = predictLastOfSteps(model, histories, this.topK, this.shortlist);
    let next = 0;
    for (const u of rebuild) {
      const count = (users[u] as UserSteps).events.length;
      (results[u] as ScoredUser).predictions = predictions.slice(next, next + count);
      next += count;
    }
    if (!this.recurrent) return;
    const windows = rebuild.map((u) => {
      const events = (users[u] as UserSteps).events;
      const last = events[events.length - 1] as UserSteps['events'][number];
      return last.steps(Number.POSITIVE_INFINITY, model.vocabularies);
    });
    const longest = Math.max(...windows.map((window) => window.length));
    const batch = encodeHistories(windows, model.vocabularies, longest);
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
