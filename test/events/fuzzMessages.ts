import fc from 'fast-check';

/**
 * fast-check generators of input messages, good and bad: wrong types, missing fields, huge strings,
 * deep JSON, invalid UTF-8, timestamps far in the past or future, unknown actions, lone surrogates,
 * and keys that do not match. Shared by the decoder and the batch property tests.
 */

export const NOW = Date.UTC(2026, 0, 1);
export const MAX_BYTES = 65_536;
export const ACTIONS = ['view', 'cart', 'fav', 'purchase'];
export const ALIASES = { pv: 'view', buy: 'purchase' };

export interface FuzzMessage {
  key: Buffer | null;
  value: Buffer | null;
}

const id = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme-ascii' }),
  fc.nat({ max: 1_000_000 }),
  fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }),
);

const eventTime = fc.oneof(
  fc.integer({ min: Date.UTC(2017, 10, 25), max: Date.UTC(2017, 11, 3) }),
  fc
    .date({ min: new Date(Date.UTC(2001, 0, 1)), max: new Date(NOW), noInvalidDate: true })
    .map((d) => d.toISOString()),
);

/** A well-formed event object for one of a few users, so that batches share users. */
export const validEvent = (users = 5) =>
  fc.record(
    {
      eventId: fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme-ascii' }).map((text) => `e-${text}`),
      userId: fc.integer({ min: 1, max: users }).map((n) => `u${n}`),
      itemId: id,
      categoryId: id,
      action: fc.constantFrom('view', 'cart', 'fav', 'purchase', 'pv', 'buy', 'VIEW', 'Cart'),
      ts: eventTime,
      attrs: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    },
    { requiredKeys: ['eventId', 'userId', 'itemId', 'action', 'ts'] },
  );

const FIELDS = ['eventId', 'userId', 'itemId', 'categoryId', 'action', 'ts', 'attrs'] as const;

const badTime = fc.oneof(
  fc.integer({ min: -1e12, max: Date.UTC(1999, 11, 31) }),
  fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }),
  fc.double({ min: NOW + 2 * 86_400_000, max: 1e300, noNaN: true }),
  fc.constantFrom(
    '2017-02-30T00:00:00Z',
    '2017-13-01T00:00:00Z',
    'yesterday',
    '1511544070',
    '',
    '2017-11-25',
  ),
  fc.string({ maxLength: 80 }),
);

const hugeString = fc.integer({ min: 300, max: 80_000 }).map((length) => 'x'.repeat(length));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => `a${String.fromCharCode(code)}`);

/** One thing wrong with an otherwise valid event. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop'), field: fc.constantFrom(...FIELDS) }),
  fc.record({ kind: fc.constant('set'), field: fc.constantFrom(...FIELDS), value: fc.anything() }),
  fc.record({ kind: fc.constant('set'), field: fc.constantFrom(...FIELDS), value: hugeString }),
  fc.record({
    kind: fc.constant('set'),
    field: fc.constantFrom('eventId', 'userId', 'itemId'),
    value: loneSurrogate,
  }),
  fc.record({ kind: fc.constant('set'), field: fc.constant('ts'), value: badTime }),
  fc.record({ kind: fc.constant('set'), field: fc.constant('action'), value: fc.string({ maxLength: 70 }) }),
);

function applyMutation(
  event: Record<string, unknown>,
  change: { kind: string; field: string; value?: unknown },
) {
  const copy = { ...event };
  if (change.kind === 'drop') delete copy[change.field];
  else copy[change.field] = change.value;
  return copy;
}

const deepJson = fc
  .record({ depth: fc.integer({ min: 1, max: 40_000 }), open: fc.constantFrom('[', '{"a":') })
  .map(({ depth, open }) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);

const invalidUtf8 = fc
  .tuple(
    validEvent(),
    fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80]),
  )
  .map(([event, bytes]) =>
    Buffer.concat([Buffer.from(JSON.stringify(event).slice(0, -1)), Buffer.from(bytes), Buffer.from('}')]),
  );

const toBuffer = (text: string) => Buffer.from(text, 'utf8');

/** The key a producer would send: usually the userId, sometimes none, sometimes another. */
function keyFor(event: Record<string, unknown>, choice: number): Buffer | null {
  if (choice === 0) return null;
  if (choice === 1) return toBuffer('someone-else');
  return toBuffer(String(event.userId ?? ''));
}

/** Any message at all, valid ones included (about a third), with a plausible or implausible key. */
export const anyMessage = (users = 5): fc.Arbitrary<FuzzMessage> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: validEvent(users).map((event) => ({
        key: toBuffer(String(event.userId)),
        value: toBuffer(JSON.stringify(event)),
      })),
    },
    {
      weight: 5,
      arbitrary: fc
        .tuple(validEvent(users), mutation, fc.integer({ min: 0, max: 6 }))
        .map(([event, change, keyChoice]) => {
          const mutated = applyMutation(event, change);
          let value: string;
          try {
            value = JSON.stringify(mutated) ?? 'undefined';
          } catch {
            value = String(mutated);
          }
          return { key: keyFor(mutated, keyChoice), value: toBuffer(value) };
        }),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ key: null, value: Buffer.from(bytes) })),
    },
    { weight: 1, arbitrary: invalidUtf8.map((value) => ({ key: null, value })) },
    { weight: 1, arbitrary: deepJson.map((text) => ({ key: null, value: toBuffer(text) })) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((text) => ({ key: null, value: toBuffer(text) })) },
    {
      weight: 1,
      arbitrary: fc
        .string({ maxLength: 200, unit: 'binary' })
        .map((text) => ({ key: null, value: toBuffer(text) })),
    },
    { weight: 1, arbitrary: fc.constant({ key: null, value: null }) },
  );
