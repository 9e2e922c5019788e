import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder, type DecodeResult } from '../../src/events/decoder.js';

const NOW = Date.UTC(2026, 0, 1);
const decode = createDecoder({
  vocabulary: new ActionVocabulary(['view', 'cart', 'fav', 'purchase'], { pv: 'view', buy: 'purchase' }),
  maxBytes: 1024,
  maxFutureSkewMs: 60_000,
  now: () => NOW,
});

const valid = {
  eventId: 'e1',
  userId: 'u1',
  itemId: 'i1',
  categoryId: 'c1',
  action: 'view',
  ts: 1511544070000,
};
const run = (value: unknown, key: string | null = null): DecodeResult =>
  decode(
    Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    key === null ? null : Buffer.from(key),
  );
const reasonOf = (result: DecodeResult) => (result.ok ? 'ok' : result.reason);

describe('decoder', () => {
  it('accepts a valid event and normalises ids, action and time', () => {
    const result = run({ ...valid, userId: 42, itemId: 7, action: 'PV', ts: '2017-11-25T01:21:10Z' }, '42');
    expect(result).toEqual({
      ok: true,
      event: {
        eventId: 'e1',
        userId: '42',
        itemId: '7',
        categoryId: 'c1',
        action: 'view',
        tsMs: Date.UTC(2017, 10, 25, 1, 21, 10),
      },
    });
  });

  it('maps the buy alias to purchase and keeps attrs', () => {
    const result = run({ ...valid, action: 'buy', attrs: { price: 3 } });
    expect(result.ok && result.event.action).toBe('purchase');
    expect(result.ok && result.event.attrs).toEqual({ price: 3 });
  });

  it('accepts ISO-8601 with an offset', () => {
    const result = run({ ...valid, ts: '2017-11-25T09:21:10.500+08:00' });
    expect(result.ok && result.event.tsMs).toBe(Date.UTC(2017, 10, 25, 1, 21, 10, 500));
  });

  it.each([
    ['empty', ''],
    ['invalid_json', '{"eventId":'],
    ['schema', { ...valid, eventId: undefined }],
    ['schema', { ...valid, userId: { nested: true } }],
    ['schema', { ...valid, userId: -1 }],
    ['schema', { ...valid, eventId: 'x'.repeat(300) }],
    ['schema', [1, 2, 3]],
    ['unknown_action', { ...valid, action: 'teleport' }],
    ['invalid_timestamp', { ...valid, ts: 'yesterday' }],
    ['invalid_timestamp', { ...valid, ts: '2017-02-30T00:00:00Z' }],
    ['invalid_timestamp', { ...valid, ts: 1511544070 }],
    ['invalid_timestamp', { ...valid, ts: NOW + 3_600_000 }],
    ['invalid_timestamp', { ...valid, ts: 9e15 }],
    ['schema', { ...valid, userId: '\ud800' }],
    ['too_large', { ...valid, attrs: { blob: 'x'.repeat(2000) } }],
  ])('rejects with %s', (reason, value) => {
    const result = run(value);
    expect(reasonOf(result)).toBe(reason);
    expect(result.ok ? '' : result.detail.length).toBeGreaterThan(0);
  });

  it('rejects invalid UTF-8', () => {
    expect(reasonOf(decode(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), null))).toBe('invalid_utf8');
  });

  it('rejects a key that is not the userId, since partitioning by user would break', () => {
    expect(reasonOf(run(valid, 'u2'))).toBe('key_mismatch');
    expect(reasonOf(run(valid, 'u1'))).toBe('ok');
  });

  it('rejects times beyond what a Date can hold, even with no future limit', () => {
    const unbounded = createDecoder({
      vocabulary: new ActionVocabulary(['view']),
      maxBytes: 1024,
      maxFutureSkewMs: Number.POSITIVE_INFINITY,
    });
    const result = unbounded(Buffer.from(JSON.stringify({ ...valid, ts: 1e300 })), null);
    expect(reasonOf(result)).toBe('invalid_timestamp');
  });

  it('treats a null value as empty', () => {
    expect(reasonOf(decode(null, null))).toBe('empty');
  });
});
