import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  idByteLength,
  isNumericId,
  pooledBuffer,
  varintLength,
  writeId,
  writeVarint,
} from '../../src/events/binaryIds.js';

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

describe('ByteReader', () => {
  it('reads back varints and ids, numeric or not, read or skipped, in the order they were written', () => {
    const field = fc.oneof(
      fc.record({ varint: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 40 })) }),
      fc.record({
        id: fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(String),
        ),
        skip: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 6 }), (fields) => {
        const size = fields.reduce(
          (total, f) =>
            total + ('varint' in f ? varintLength(f.varint) : idByteLength(f.id, isNumericId(f.id))),
          0,
        );
        const buffer = pooledBuffer(size);
        let at = 0;
        for (const f of fields) {
          at =
            'varint' in f ? writeVarint(buffer, f.varint, at) : writeId(buffer, f.id, isNumericId(f.id), at);
        }
        const reader = new ByteReader(buffer);
        for (const f of fields) {
          if ('varint' in f) expect(reader.varint()).toBe(f.varint);
          else if (f.skip) reader.skipId(isNumericId(f.id));
          else expect(reader.id(isNumericId(f.id))).toBe(f.id);
        }
        expect(reader.position).toBe(buffer.length);
      }),
    );
  });

  it('says a varint is truncated rather than reading past the end', () => {
    expect(() => new ByteReader(Buffer.from([0x80, 0x80])).varint()).toThrow('truncated varint');
  });
});

describe('isNumericId', () => {
  // The definition: the digits of a number below 2^32 as String() writes them, so that it reads back the same.
  const reference = (id: string) => /^(0|[1-9][0-9]{0,9})$/.test(id) && Number(id) < 2 ** 32;

  it('agrees with its definition on any text, digits or not', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), digits), (id) => {
        expect(isNumericId(id)).toBe(reference(id));
      }),
      { numRuns: 5_000 },
    );
    const edges = [
      '',
      '0',
      '00',
      '01',
      '9',
      '4294967295',
      '4294967296',
      '9999999999',
      '12345678901',
      '-1',
      '1e3',
      ' 1',
    ];
    for (const id of edges) expect(isNumericId(id)).toBe(reference(id));
    expect(isNumericId('4294967295')).toBe(true);
    expect(isNumericId('4294967296')).toBe(false);
  });
});

describe('writeId', () => {
  it("writes a text id as its UTF-8 length and bytes, as Buffer's encoder does", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      // Latin-1 and just above it: one byte short of ASCII's range is where a shortcut would slip.
      fc.string({
        unit: fc.integer({ min: 0, max: 0x2ff }).map((code) => String.fromCharCode(code)),
        maxLength: 12,
      }),
    );
    fc.assert(
      fc.property(text, (id) => {
        const bytes = Buffer.from(id, 'utf8');
        const expected = Buffer.alloc(varintLength(bytes.length) + bytes.length);
        bytes.copy(expected, writeVarint(expected, bytes.length, 0));
        const written = pooledBuffer(idByteLength(id, false));
        expect(writeId(written, id, false, 0)).toBe(written.length);
        expect(written).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});
