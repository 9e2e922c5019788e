import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/sinks/isoTime.js';

const YEAR_0000 = -62_167_219_200_000;
const YEAR_10000 = 253_402_300_800_000;

describe('isoTime', () => {
  it('writes what Date.toISOString writes, for any millisecond of years 0 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: YEAR_0000, max: YEAR_10000 - 1 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('gets the days around leap days, century years and the ends of the range right', () => {
    const days = [
      '1970-01-01',
      '1969-12-31',
      '2000-02-29',
      '2000-03-01',
      '1900-02-28',
      '1900-03-01',
      '2100-02-28',
      '2100-03-01',
      '2024-02-29',
      '2024-12-31',
      '0000-01-01',
      '0000-02-29',
      '9999-12-31',
    ];
    for (const day of days) {
      const start = Date.parse(`${day}T00:00:00.000Z`);
      for (const ms of [start, start - 1, start + 86_399_999, start + 86_400_000]) {
        if (ms < YEAR_0000 || ms >= YEAR_10000) continue;
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }
    }
    expect(isoTime(YEAR_0000)).toBe('0000-01-01T00:00:00.000Z');
    expect(isoTime(YEAR_10000 - 1)).toBe('9999-12-31T23:59:59.999Z');
  });

  it('leaves to Date the times it does not format itself, errors included', () => {
    for (const ms of [YEAR_0000 - 1, YEAR_10000, 8.64e15, 1.5, -0.5]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
