import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEventRecords, taobaoRowToMessage } from '../../src/events/eventFiles.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('event files', () => {
  it('converts a Taobao row, seconds to milliseconds, with a content-derived eventId', () => {
    expect(taobaoRowToMessage('1,2268318,2520377,pv,1511544070')).toEqual({
      eventId: 'tb-1-2268318-pv-1511544070',
      userId: '1',
      itemId: '2268318',
      categoryId: '2520377',
      action: 'pv',
      ts: 1511544070000,
    });
    expect(taobaoRowToMessage('1,2,3,pv')).toBeUndefined();
    expect(taobaoRowToMessage('1,2,3,pv,soon')).toBeUndefined();
  });

  it('yields unconvertible lines raw so that a replay dead-letters them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqscore-files-'));
    const csv = join(dir, 'events.csv');
    writeFileSync(csv, '1,2,3,pv,1511544070\n\nbroken row\n');
    const records = await collect(readEventRecords(csv, 'taobao'));
    expect(records).toHaveLength(2);
    expect(records[0]?.key).toBe('1');
    expect(records[1]).toEqual({ key: null, value: 'broken row', line: 3 });

    const ndjson = join(dir, 'events.ndjson');
    writeFileSync(ndjson, '{"userId":5,"eventId":"a"}\nnot json\n');
    const lines = await collect(readEventRecords(ndjson, 'ndjson'));
    expect(lines.map((record) => record.key)).toEqual(['5', null]);
  });
});
