import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * The parts of kafkajs that patches/kafkajs+2.2.4.patch rewrites for speed, against oracles written
 * here from the Kafka protocol's definitions. A wrong checksum would make the broker refuse every
 * produce, and a wrong varint would corrupt every record.
 */
const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => {
  writeVarInt(value: number): unknown;
  writeUVarInt(value: number): unknown;
  writeVarLong(value: number): unknown;
  writeInt8(value: number): unknown;
  buffer: Buffer;
};
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { partition: number; value: string }[];
  partitioner: (args: { message: { partition: number } }) => number;
}) => Record<string, { partition: number; value: string }[]>;

/** CRC-32C bit by bit: reflected polynomial 0x82f63b78, initial and final value all ones. */
function bitwiseCrc32C(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Unsigned LEB128 of a non-negative BigInt. */
function leb128(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return bytes;
}

const zigZag = (value: bigint, bits: bigint) => (value << 1n) ^ (value >> (bits - 1n));
const encoded = (write: (encoder: InstanceType<typeof Encoder>) => unknown) => {
  const encoder = new Encoder();
  write(encoder);
  return [...encoder.buffer];
};

describe('patched kafkajs', () => {
  it('checksums record batches with CRC-32C', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32C(Buffer.from(bytes))).toBe(bitwiseCrc32C(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('writes zigzag varints of 32 and 64 bits, and unsigned ones, as LEB128', () => {
    const edges = [0, 1, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1];
    const int64 = fc.oneof(fc.constantFrom(...edges), fc.integer(), fc.maxSafeInteger());
    fc.assert(
      fc.property(int64, (value) => {
        expect(encoded((e) => e.writeVarLong(value))).toEqual(
          leb128(BigInt.asUintN(64, zigZag(BigInt(value), 64n))),
        );
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer(), (value) => {
        expect(encoded((e) => e.writeVarInt(value))).toEqual(
          leb128(BigInt.asUintN(32, zigZag(BigInt(value), 32n))),
        );
        expect(encoded((e) => e.writeUVarInt(value >>> 0))).toEqual(leb128(BigInt(value >>> 0)));
      }),
      { numRuns: 2000 },
    );
    // Varints after other fields and past the encoder's first buffer land where they belong.
    const many = new Encoder();
    const expected: number[] = [];
    for (let i = 0; i < 400; i++) {
      many.writeInt8(7);
      many.writeVarInt(i * 1000);
      expected.push(7, ...leb128(BigInt(i * 2000)));
    }
    expect([...many.buffer]).toEqual(expected);
  });

  it('groups a send by partition, keeping each partition in send order', () => {
    const messages = Array.from({ length: 600 }, (_, i) => ({ partition: (i * 7) % 5, value: `m${i}` }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{}],
      messages,
      partitioner: ({ message }) => message.partition,
    });
    expect(Object.keys(grouped)).toEqual(['0', '1', '2', '3', '4']);
    for (const [partition, inPartition] of Object.entries(grouped)) {
      expect(inPartition).toEqual(messages.filter((message) => message.partition === Number(partition)));
    }
  });
});
