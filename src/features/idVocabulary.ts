import { isNumericId } from '../events/binaryIds.js';

/**
 * Ids for a categorical feature with a long tail (items, categories). Values seen often enough in
 * training get their own index, 1..frequent; every other value, including ones never seen, shares
 * one of `buckets` hashed indexes after those. 0 is padding. Rare values thus still carry some
 * signal, and the embedding table stays bounded however many items the catalogue has.
 */
export interface IdVocabularyJson {
  frequent: string[];
  buckets: number;
}

const FNV_PRIME = 0x01000193;
const FNV_BASIS = 0x811c9dc5;

/**
 * FNV-1a: fast, stable across runs and platforms, good enough spread for bucketing. Another offset
 * basis gives an independent hash, for when 32 bits are too few.
 */
export function fnv1a(text: string, basis = FNV_BASIS): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** Whether `text` is the ASCII string of the `length` bytes at `start`. */
function sameAscii(text: string, bytes: Uint8Array, start: number, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** The decimal digits of a u32, written at the end of this array by indexOfNumber. */
const DIGITS = new Uint8Array(10);
const ZERO = 0x30;

export class IdVocabulary {
  /**
   * An open-addressing table on the same FNV-1a hash as the buckets: slot -> index (0: empty). A
   * value that is not frequent is then hashed once, for the probe and its bucket both, where a Map
   * hashed it for the lookup and FNV-1a hashed it again. The scorer looks up every id of a history
   * for every event; this took 59 to 66 ns a lookup against 70 to 81 for the Map.
   */
  private readonly slots: Int32Array;
  private readonly slotMask: number;
  /** The frequent values that a window stores as numbers (isNumericId), by number. */
  private readonly numericIndexes = new Map<number, number>();

  constructor(
    readonly frequent: readonly string[],
    readonly buckets: number,
  ) {
    if (buckets < 1) throw new Error('an id vocabulary needs at least one hash bucket');
    let capacity = 16;
    while (capacity < 2 * frequent.length) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.slotMask = capacity - 1;
    frequent.forEach((value, i) => {
      // A value listed twice keeps its last index, as a Map built from the list would.
      this.slots[this.slotOf(value, fnv1a(value))] = i + 1;
      if (isNumericId(value)) this.numericIndexes.set(Number(value), i + 1);
    });
  }

  /** The slot that holds `value`, or the empty one where it would go. */
  private slotOf(value: string, hash: number): number {
    let slot = hash & this.slotMask;
    for (;;) {
      const index = this.slots[slot] as number;
      if (index === 0 || this.frequent[index - 1] === value) return slot;
      slot = (slot + 1) & this.slotMask;
    }
  }

  /** Keeps values seen at least `minCount` times, most frequent first, at most `maxSize` of them. */
  static fit(
    values: Iterable<string>,
    options: { minCount: number; maxSize: number; buckets: number },
  ): IdVocabulary {
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    const frequent = [...counts.entries()]
      .filter(([, count]) => count >= options.minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, options.maxSize)
      .map(([value]) => value);
    return new IdVocabulary(frequent, options.buckets);
  }

  static fromJSON(json: IdVocabularyJson): IdVocabulary {
    return new IdVocabulary(json.frequent, json.buckets);
  }

  toJSON(): IdVocabularyJson {
    return { frequent: [...this.frequent], buckets: this.buckets };
  }

  /** Rows of an embedding table indexed by this vocabulary, padding included. */
  get size(): number {
    return 1 + this.frequent.length + this.buckets;
  }

  indexOf(value: string): number {
    const hash = fnv1a(value);
    const index = this.slots[this.slotOf(value, hash)] as number;
    return index !== 0 ? index : this.bucketOf(hash);
  }

  /** The hashed index of a value that is not frequent. */
  private bucketOf(hash: number): number {
    return 1 + this.frequent.length + (hash % this.buckets);
  }

  /**
   * indexOf of the id whose UTF-8 bytes are the `length` bytes at `start`, without making its
   * string, when they are ASCII (their char codes are then the string's); undefined otherwise. A
   * stored window's ids are looked up from its bytes: at window 50, 100 strings an event were made
   * only to be looked up and dropped.
   */
  indexOfAscii(bytes: Uint8Array, start: number, length: number): number | undefined {
    let hash = FNV_BASIS;
    for (let i = 0; i < length; i++) {
      const byte = bytes[start + i] as number;
      if (byte >= 0x80) return undefined;
      hash = Math.imul(hash ^ byte, FNV_PRIME);
    }
    hash >>>= 0;
    for (let slot = hash & this.slotMask; ; slot = (slot + 1) & this.slotMask) {
      const index = this.slots[slot] as number;
      if (index === 0) return this.bucketOf(hash);
      if (sameAscii(this.frequent[index - 1] as string, bytes, start, length)) return index;
    }
  }

  /**
   * indexOf(String(value)) for an integer 0 <= value < 2^32, as a window stores numeric ids. The
   * frequent ones are found by number; only the others are written out in digits, for their bucket.
   */
  indexOfNumber(value: number): number {
    const index = this.numericIndexes.get(value);
    if (index !== undefined) return index;
    let at = DIGITS.length;
    let rest = value;
    do {
      DIGITS[--at] = ZERO + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    return this.indexOfAscii(DIGITS, at, DIGITS.length - at) as number;
  }

  /** The value behind an index, for frequent values only (a bucket stands for many values). */
  valueAt(index: number): string | undefined {
    return this.frequent[index - 1];
  }
}
