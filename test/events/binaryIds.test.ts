import { describe, expect, it } from 'vitest';
import { pooledBuffer } from '../../src/events/binaryIds.js';

describe('pooledBuffer', () => {
  it('is zero-filled even where the shared pool held other bytes', () => {
    // Dirty the pool's current slab, then release it: the next small buffer may reuse those bytes.
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(100).fill(0xff);
    for (const size of [1, 8, 73, 900]) {
      const buffer = pooledBuffer(size);
      expect(buffer.length).toBe(size);
      expect(buffer.every((byte) => byte === 0)).toBe(true);
    }
  });

  it('shares an ArrayBuffer with other small buffers instead of owning one', () => {
    const first = pooledBuffer(8);
    const second = pooledBuffer(8);
    expect(first.buffer.byteLength).toBeGreaterThan(8);
    expect(second.buffer).toBe(first.buffer);
  });
});
