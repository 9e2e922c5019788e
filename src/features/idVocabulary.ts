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

/**
 * FNV-1a: fast, stable across runs and platforms, good enough spread for bucketing. Another offset
 * basis gives an independent hash, for when 32 bits are too few.
 */
export function fnv1a(text: string, basis = 0x811c9dc5): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class IdVocabulary {
  private readonly index: Map<string, number>;

  constructor(
    readonly frequent: readonly string[],
    readonly buckets: number,
  ) {
    if (buckets < 1) throw new Error('an id vocabulary needs at least one hash bucket');
    this.index = new Map(frequent.map((value, i) => [value, i + 1]));
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
    return this.index.get(value) ?? 1 + this.frequent.length + (fnv1a(value) % this.buckets);
  }

  /** The value behind an index, for frequent values only (a bucket stands for many values). */
  valueAt(index: number): string | undefined {
    return this.frequent[index - 1];
  }
}
