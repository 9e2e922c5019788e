import type { ActionVocabulary } from '../events/actionVocabulary.js';
import {
  ByteReader,
  idByteLength,
  isNumericId,
  pooledBuffer,
  varintLength,
  writeId,
  writeVarint,
} from '../events/binaryIds.js';
import type { UserEvent } from '../events/event.js';
import { actionId, type HistoryColumns } from './historySteps.js';
import type { IdVocabulary } from './idVocabulary.js';
import type { FeatureVocabularies } from './sequenceEncoding.js';

/** One event as kept in a user's window: what the model needs. Times are whole seconds. */
export interface WindowEntry {
  itemId: string;
  categoryId: string | null;
  action: string;
  tsMs: number;
}

export function toWindowEntry(event: UserEvent): WindowEntry {
  return {
    itemId: event.itemId,
    categoryId: event.categoryId ?? null,
    action: event.action,
    tsMs: Math.floor(event.tsMs / 1000) * 1000,
  };
}

/**
 * A window is a byte string of entries, oldest first, sized for Redis memory (about 12 bytes an
 * entry with numeric ids, against about 60 as JSON):
 *
 *   varint  seconds since the previous entry (the oldest entry's own value is never read)
 *   u8      action index (bits 0-3) | item is a u32 (bit 4) | category is a u32 (bit 5) | no category (bit 6)
 *   id      item: u32 when the id is a decimal integer below 2^32, else varint length + UTF-8
 *   id      category, likewise, absent when bit 6 is set
 *   trailer the entry's length in bytes: one byte below 255, else u16 then 255
 *
 * The trailer lets a reader walk back from the newest entry, whose time the caller keeps: reading the
 * last n entries costs O(n), however long the window is.
 */
const NUMERIC_ITEM = 0x10;
const NUMERIC_CATEGORY = 0x20;
const NO_CATEGORY = 0x40;
const ACTION_BITS = 0x0f;
export const MAX_ACTIONS = ACTION_BITS + 1;
/** Encodes one entry; `gapSeconds` is the time since the entry before it. */
export function encodeEntry(entry: WindowEntry, gapSeconds: number, actions: ActionVocabulary): Buffer {
  const action = actions.indexOf(entry.action);
  if (action === undefined || action >= MAX_ACTIONS) {
    throw new Error(`action "${entry.action}" cannot be stored: not one of the first ${MAX_ACTIONS} actions`);
  }
  const numericItem = isNumericId(entry.itemId);
  const numericCategory = entry.categoryId !== null && isNumericId(entry.categoryId);
  let flags = action;
  if (numericItem) flags |= NUMERIC_ITEM;
  if (entry.categoryId === null) flags |= NO_CATEGORY;
  else if (numericCategory) flags |= NUMERIC_CATEGORY;
  const gap = Math.max(0, gapSeconds);
  const bodyLength =
    varintLength(gap) +
    1 +
    idByteLength(entry.itemId, numericItem) +
    (entry.categoryId === null ? 0 : idByteLength(entry.categoryId, numericCategory));
  const shortTrailer = bodyLength + 1 < 255;
  const encoded = pooledBuffer(bodyLength + (shortTrailer ? 1 : 3));
  let at = writeVarint(encoded, gap, 0);
  at = encoded.writeUInt8(flags, at);
  at = writeId(encoded, entry.itemId, numericItem, at);
  if (entry.categoryId !== null) at = writeId(encoded, entry.categoryId, numericCategory, at);
  if (shortTrailer) encoded.writeUInt8(bodyLength + 1, at);
  else encoded.writeUInt8(255, encoded.writeUInt16BE(bodyLength + 3, at));
  return encoded;
}

/** Byte position where the entry ending at `end` starts. */
function entryStart(window: Buffer, end: number): number {
  const trailer = window[end - 1];
  if (trailer === undefined) throw new Error('truncated window');
  return end - (trailer < 255 ? trailer : window.readUInt16BE(end - 3));
}

/**
 * The last `limit` entries of the window's first `end` bytes, oldest first. `newestSeconds` is the
 * time of the entry that ends at `end`.
 */
export function readEntries(
  window: Buffer,
  end: number,
  newestSeconds: number,
  limit: number,
  actions: ActionVocabulary,
): WindowEntry[] {
  const entries: WindowEntry[] = [];
  const reader = new ByteReader(window);
  let position = end;
  let seconds = newestSeconds;
  while (position > 0 && entries.length < limit) {
    const start = entryStart(window, position);
    reader.position = start;
    const gapSeconds = reader.varint();
    const flags = window[reader.position++] as number;
    const itemId = reader.id((flags & NUMERIC_ITEM) !== 0);
    const categoryId = (flags & NO_CATEGORY) !== 0 ? null : reader.id((flags & NUMERIC_CATEGORY) !== 0);
    entries.push({
      itemId,
      categoryId,
      action: actions.actions[flags & ACTION_BITS] ?? 'unknown',
      tsMs: seconds * 1000,
    });
    seconds -= gapSeconds;
    position = start;
  }
  return entries.reverse();
}

/** How many entries end at or before byte `end`, counting back from it no further than `limit`. */
export function countEntries(window: Buffer, end: number, limit: number): number {
  let count = 0;
  for (let position = end; position > 0 && count < limit; count++) position = entryStart(window, position);
  return count;
}

/**
 * readEntries as steps: the last `count` entries of the window's first `end` bytes (at most
 * countEntries of them) into steps [at, at + count) of `columns`, oldest first, their ids looked
 * up in `vocabularies` from the bytes. `actions` is the vocabulary the window was written with.
 */
export function decodeSteps(
  window: Buffer,
  end: number,
  newestSeconds: number,
  count: number,
  actions: ActionVocabulary,
  vocabularies: FeatureVocabularies,
  columns: HistoryColumns,
  at: number,
): void {
  const reader = new ByteReader(window);
  // Per stored action index, its id in the model's vocabulary (0: not looked up yet).
  const actionIds = new Int32Array(MAX_ACTIONS);
  const noCategory = vocabularies.categories.indexOf('');
  let position = end;
  let seconds = newestSeconds;
  for (let step = at + count - 1; step >= at; step--) {
    const start = entryStart(window, position);
    reader.position = start;
    const gapSeconds = reader.varint();
    const flags = window[reader.position++] as number;
    const action = flags & ACTION_BITS;
    if (actionIds[action] === 0) {
      actionIds[action] = actionId(vocabularies.actions, actions.actions[action] ?? 'unknown');
    }
    columns.actions[step] = actionIds[action] as number;
    const numericItem = (flags & NUMERIC_ITEM) !== 0;
    columns.idInBytes(step, window, reader.position, numericItem);
    columns.items[step] = lookUpId(reader, numericItem, vocabularies.items);
    columns.categories[step] =
      (flags & NO_CATEGORY) !== 0
        ? noCategory
        : lookUpId(reader, (flags & NUMERIC_CATEGORY) !== 0, vocabularies.categories);
    columns.tsMs[step] = seconds * 1000;
    seconds -= gapSeconds;
    position = start;
  }
}

/** The vocabulary index of the id at the reader's position, read past it. */
function lookUpId(reader: ByteReader, numeric: boolean, vocabulary: IdVocabulary): number {
  const bytes = reader.buffer;
  if (numeric) {
    const value = bytes.readUInt32BE(reader.position);
    reader.position += 4;
    return vocabulary.indexOfNumber(value);
  }
  const length = reader.varint();
  const start = reader.position;
  reader.position += length;
  return (
    vocabulary.indexOfAscii(bytes, start, length) ??
    vocabulary.indexOf(bytes.toString('utf8', start, start + length))
  );
}

/** The window's entries' byte ranges, oldest first. */
export function entryBounds(window: Buffer): { start: number; end: number }[] {
  const bounds: { start: number; end: number }[] = [];
  let position = window.length;
  while (position > 0) {
    const start = entryStart(window, position);
    bounds.push({ start, end: position });
    position = start;
  }
  return bounds.reverse();
}

/** Encodes entries in time order into a window. */
export function encodeWindow(entries: readonly WindowEntry[], actions: ActionVocabulary): Buffer {
  return Buffer.concat(
    entries.map((entry, i) => {
      const previous = entries[i - 1];
      return encodeEntry(entry, previous ? (entry.tsMs - previous.tsMs) / 1000 : 0, actions);
    }),
  );
}

/** Byte position just after the entry that starts at `start`. */
export function entryEnd(window: Buffer, start: number): number {
  const reader = new ByteReader(window, start);
  reader.varint();
  const flags = window[reader.position++] as number;
  reader.skipId((flags & NUMERIC_ITEM) !== 0);
  if ((flags & NO_CATEGORY) === 0) reader.skipId((flags & NUMERIC_CATEGORY) !== 0);
  const bodyLength = reader.position - start;
  return start + (bodyLength + 1 < 255 ? bodyLength + 1 : bodyLength + 3);
}

/** The gap stored in the entry that starts at `start`. */
export function entryGapSeconds(window: Buffer, start: number): number {
  return new ByteReader(window, start).varint();
}
