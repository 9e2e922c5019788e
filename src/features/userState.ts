import { pooledBuffer } from '../events/binaryIds.js';

/**
 * Everything seqscore keeps about one user, as one Redis string (one key, one allocation: a hash or a
 * list would add tens of bytes of overhead per field or entry):
 *
 *   u8   format (5)                 \  the first five bytes are the state's version: a commit
 *   u32  seq, bumped by every commit /  succeeds only if they are still what the read saw
 *   u48  newest event time applied, ms + 1 (0: none)
 *   u32  oldest window entry time, s
 *   u8   input partitions seen, then for each: u32 hash of "topic:partition", u48 greatest offset
 *   u8   recent eventIds remembered, then for each an 8-byte hash, oldest first
 *   u16  outcomes of the last commit, then for each: 8-byte eventId hash, u16 length, bytes
 *   u16  model state length, then the model state (opaque here; written by the scorer)
 *   u16  window entries, then the window (see windowEntry.ts) to the end
 */
export const STATE_FORMAT = 5;
/** Bytes that identify a state's version: the format and seq. */
export const VERSION_BYTES = 5;
/** An eventId's hash, as remembered to spot repeats: two FNV-1a of it (see eventIdHash). */
export const EVENT_ID_HASH_BYTES = 8;

export interface RememberedOutcome {
  idHash: Buffer;
  outcome: Buffer;
}

export interface UserState {
  seq: number;
  newestMs: number | null;
  oldestEntrySeconds: number;
  offsets: Map<number, number>;
  /** The recent eventIds' 8-byte hashes, oldest first, back to back: one view of the stored bytes. */
  recentIds: Buffer;
  outcomes: RememberedOutcome[];
  model: Buffer;
  windowCount: number;
  window: Buffer;
}

export function emptyState(): UserState {
  return {
    seq: 0,
    newestMs: null,
    oldestEntrySeconds: 0,
    offsets: new Map(),
    recentIds: Buffer.alloc(0),
    outcomes: [],
    model: Buffer.alloc(0),
    windowCount: 0,
    window: Buffer.alloc(0),
  };
}

export class StateFormatError extends Error {
  override readonly name = 'StateFormatError';
}

/** Where an encoded state's outcomes lie, their count included: [start, end) in bytes. */
export interface OutcomesSpan {
  start: number;
  end: number;
}

export function outcomesSpan(state: UserState): OutcomesSpan {
  const start = VERSION_BYTES + 6 + 4 + 1 + state.offsets.size * 10 + 1 + state.recentIds.length;
  return { start, end: start + 2 + state.outcomes.reduce((sum, o) => sum + 10 + o.outcome.length, 0) };
}

const NO_OUTCOMES = Buffer.alloc(2);

/**
 * The encoded state with its outcomes dropped, cut out of its encoding: the bytes encodeState
 * gives for the state without them (lua/dropOutcomes-n.lua makes the same cut in Redis).
 *
 * In memory of its own, not a slice of Node's shared 8 KB pool: the worker caches this form of a
 * user's state until the user's next batch, which for most users is long after the rest of the
 * slab's slices died, and a slice keeps its whole slab alive. With one scoring thread, 100,000
 * Zipf-active users and 1,000,000 events, cached slices held 22 MB of states in 185 MB of slabs.
 */
export function withoutOutcomes(blob: Buffer, span: OutcomesSpan): Buffer {
  const cut = Buffer.allocUnsafeSlow(blob.length - (span.end - span.start) + NO_OUTCOMES.length);
  let at = blob.copy(cut, 0, 0, span.start);
  at += NO_OUTCOMES.copy(cut, at);
  blob.copy(cut, at, span.end);
  return cut;
}

export function encodeState(state: UserState): Buffer {
  const size = outcomesSpan(state).end;
  // One allocation, the window copied in last: a head joined to the window was two, and a copy.
  const encoded = pooledBuffer(size + 2 + state.model.length + 2 + state.window.length);
  let at = encoded.writeUInt8(STATE_FORMAT, 0);
  at = encoded.writeUInt32BE(state.seq >>> 0, at);
  at = encoded.writeUIntBE(state.newestMs === null ? 0 : state.newestMs + 1, at, 6);
  at = encoded.writeUInt32BE(state.oldestEntrySeconds >>> 0, at);
  at = encoded.writeUInt8(state.offsets.size, at);
  for (const [source, offset] of state.offsets) {
    at = encoded.writeUInt32BE(source, at);
    at = encoded.writeUIntBE(offset, at, 6);
  }
  at = encoded.writeUInt8(state.recentIds.length / EVENT_ID_HASH_BYTES, at);
  at += state.recentIds.copy(encoded, at);
  at = encoded.writeUInt16BE(state.outcomes.length, at);
  for (const { idHash, outcome } of state.outcomes) {
    at += idHash.copy(encoded, at);
    at = encoded.writeUInt16BE(outcome.length, at);
    at += outcome.copy(encoded, at);
  }
  at = encoded.writeUInt16BE(state.model.length, at);
  at += state.model.copy(encoded, at);
  at = encoded.writeUInt16BE(state.windowCount, at);
  state.window.copy(encoded, at);
  return encoded;
}

export function decodeState(blob: Buffer): UserState {
  if (blob[0] !== STATE_FORMAT) throw new StateFormatError(`unknown user state format ${blob[0]}`);
  try {
    let at = 1;
    const seq = blob.readUInt32BE(at);
    const newest = blob.readUIntBE(at + 4, 6);
    const oldestEntrySeconds = blob.readUInt32BE(at + 10);
    at += 14;
    const offsets = new Map<number, number>();
    const sources = blob.readUInt8(at++);
    for (let i = 0; i < sources; i++, at += 10)
      offsets.set(blob.readUInt32BE(at), blob.readUIntBE(at + 4, 6));
    const ids = blob.readUInt8(at++);
    const recentIds = blob.subarray(at, at + ids * EVENT_ID_HASH_BYTES);
    at += ids * EVENT_ID_HASH_BYTES;
    const outcomeCount = blob.readUInt16BE(at);
    at += 2;
    const outcomes: RememberedOutcome[] = [];
    for (let i = 0; i < outcomeCount; i++) {
      const idHash = blob.subarray(at, at + 8);
      const length = blob.readUInt16BE(at + 8);
      outcomes.push({ idHash, outcome: blob.subarray(at + 10, at + 10 + length) });
      at += 10 + length;
    }
    const modelLength = blob.readUInt16BE(at);
    const model = blob.subarray(at + 2, at + 2 + modelLength);
    at += 2 + modelLength;
    const windowCount = blob.readUInt16BE(at);
    return {
      seq,
      newestMs: newest === 0 ? null : newest - 1,
      oldestEntrySeconds,
      offsets,
      recentIds,
      outcomes,
      model,
      windowCount,
      window: blob.subarray(at + 2),
    };
  } catch (error) {
    if (error instanceof RangeError) throw new StateFormatError(`truncated user state: ${error.message}`);
    throw error;
  }
}

/** The version bytes of an encoded state, or an empty buffer for a user with no state. */
export function versionOf(blob: Buffer | null): Buffer {
  return blob ? blob.subarray(0, VERSION_BYTES) : Buffer.alloc(0);
}
