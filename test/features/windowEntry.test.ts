import { describe, expect, it } from 'vitest';
import { decodeWindowEntry, encodeWindowEntry, toWindowEntry } from '../../src/features/windowEntry.js';

describe('window entries', () => {
  it('round-trips through the compact encoding', () => {
    const entry = toWindowEntry({
      eventId: 'e|1',
      userId: 'u',
      itemId: 'i"2',
      action: 'cart',
      tsMs: 1_700_000_000_123,
    });
    expect(entry.categoryId).toBeNull();
    expect(decodeWindowEntry(encodeWindowEntry(entry))).toEqual(entry);
  });

  it('rejects malformed entries', () => {
    expect(() => decodeWindowEntry('{"a":1}')).toThrow(/malformed/);
  });
});
