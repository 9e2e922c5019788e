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
    const buffers = [pooledBuffer(8), pooledBuffer(8), pooledBuffer(8)];
    for (const buffer of buffers) expect(buffer.buffer.byteLength).toBeGreaterThan(8);
    // Node's pool can run out between two of them, but not twice within 24 bytes.
    const [first, second, third] = buffers.map((buffer) => buffer.buffer);
    expect(first === second || second === third).toBe(true);
  });
});
