import { describe, expect, it } from 'vitest';
import { outputEventId, ThroughputTracker } from '../../bench/e2e/collector.js';
import {
  type E2eSummary,
  lateScores,
  type ModeResult,
  percentile,
  pooledRate,
  summarizeLatency,
  summaryJson,
  throughputFromTimes,
} from '../../bench/e2e/stats.js';
import { atSpeed, fullWindowStream, syntheticMessages } from '../../bench/e2e/streams.js';
import { syntheticEvents } from '../../src/events/synthetic.js';

describe('percentile', () => {
  it('is the nearest rank: the smallest value with at least q of all at or below it', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('throughputFromTimes', () => {
  it('counts events completed per second between the first and the last output', () => {
    expect(throughputFromTimes(1_000, 10_000, 12_000)).toBe(500);
    expect(throughputFromTimes(0, 10_000, 12_000)).toBeNaN();
    expect(throughputFromTimes(10, 10_000, 10_000)).toBeNaN();
  });
});

describe('summarizeLatency', () => {
  it('drops the warm-up and reports percentiles of output minus input time', () => {
    const samples = [
      // warm-up: slow, must not count
      ...Array.from({ length: 10 }, (_, i) => ({ sentMs: i, outMs: i + 5_000 })),
      ...Array.from({ length: 100 }, (_, i) => ({ sentMs: 1_000 + i * 10, outMs: 1_000 + i * 10 + i + 1 })),
    ];
    const summary = summarizeLatency(samples, 1_000, 100_000);
    expect(summary).toMatchObject({ p50Ms: 50, p95Ms: 95, p99Ms: 99, offered: 100, delivered: 100 });
    expect(summary.lowerBound).toBe(false);
    expect(summary.deliveredPerSec).toBeCloseTo(100 / 0.99, 6);
  });

  it('counts an event without output with the latency it had at the deadline, as a lower bound', () => {
    const samples = Array.from({ length: 100 }, (_, i) => ({
      sentMs: 1_000 + i,
      outMs: i < 90 ? 1_000 + i + 10 : undefined,
    }));
    const summary = summarizeLatency(samples, 0, 3_000);
    expect(summary.p50Ms).toBe(10);
    // The ten missing events (sent at 1,090..1,099) have 1,901..1,910 ms at the deadline.
    expect(summary.p95Ms).toBe(1_905);
    expect(summary.p99Ms).toBe(1_909);
    expect(summary.lowerBound).toBe(true);
    expect(summary.delivered).toBe(90);
  });

  it('refuses a run that is all warm-up', () => {
    expect(() => summarizeLatency([{ sentMs: 0, outMs: 1 }], 1_000, 10)).toThrow(/warm-up/);
    expect(() => summarizeLatency([], 0, 10)).toThrow(/no events/);
  });
});

describe('lateScores', () => {
  it('counts the events still waiting at the deadline that have a score by now', () => {
    const outputs = new Map([
      ['a', 1],
      ['c', 3],
      ['x', 9],
    ]);
    expect(lateScores(['a', 'b', 'c'], outputs)).toEqual({ waiting: 3, scoredLater: 2 });
    expect(lateScores([], outputs)).toEqual({ waiting: 0, scoredLater: 0 });
  });
});

describe('pooledRate', () => {
  it('divides all measured events by all the time the runs took', () => {
    // 1,000 events in 0.5 s and 3,000 in 3 s: 4,000 in 3.5 s, not the mean of 2,000 and 1,000.
    const rate = pooledRate([
      { eventsPerSec: 2_000, measured: 1_000 },
      { eventsPerSec: 1_000, measured: 3_000 },
    ]);
    expect(rate).toBeCloseTo(4_000 / 3.5, 9);
  });

  it('is NaN when nothing was measured', () => {
    expect(pooledRate([])).toBeNaN();
  });
});

describe('summaryJson', () => {
  it('has the documented fields, with null for what could not be measured', () => {
    const mode: ModeResult = { eventsPerSec: 1, p50Ms: 2, p95Ms: 3, p99Ms: 4, offeredPerSec: 5 };
    const summary: E2eSummary = {
      passthrough: mode,
      naive: { ...mode, p99Ms: Number.NaN },
      seqscore: mode,
      window20: { eventsPerSec: 10 },
      window200: { eventsPerSec: Number.NaN },
      redisBytesPerUser: 900,
    };
    const parsed = JSON.parse(summaryJson(summary));
    expect(Object.keys(parsed)).toEqual([
      'passthrough',
      'naive',
      'seqscore',
      'window20',
      'window200',
      'redisBytesPerUser',
    ]);
    for (const name of ['passthrough', 'naive', 'seqscore']) {
      expect(Object.keys(parsed[name]).sort()).toEqual(
        ['eventsPerSec', 'offeredPerSec', 'p50Ms', 'p95Ms', 'p99Ms'].sort(),
      );
    }
    expect(parsed.naive.p99Ms).toBeNull();
    expect(parsed.window200).toEqual({ eventsPerSec: null });
    expect(parsed.redisBytesPerUser).toBe(900);
  });
});

describe('outputEventId', () => {
  it('reads the eventId from the head of a message, or from its JSON where it is not first', () => {
    expect(outputEventId(Buffer.from('{"eventId":"e-1","userId":"u"}'))).toBe('e-1');
    expect(outputEventId(Buffer.from('{"userId":"u","eventId":"e-2"}'))).toBe('e-2');
    expect(outputEventId(Buffer.from('not json'))).toBeUndefined();
    expect(outputEventId(null)).toBeUndefined();
  });
});

describe('ThroughputTracker', () => {
  const tally = (tracker: ThroughputTracker) => ({
    seen: tracker.seen,
    count: tracker.count,
    first: tracker.firstMs,
    last: tracker.lastMs,
  });

  it('spans only the measured outputs but counts every one as seen', () => {
    const tracker = new ThroughputTracker((eventId) => eventId.startsWith('m'));
    tracker.sink('a', 100);
    tracker.sink('m1', 200);
    tracker.sink('m2', 400);
    tracker.sink('b', 900);
    // m1 was done before the span began: one event completed in 200 ms.
    expect(tracker.eventsPerSec()).toBe(5);
    expect(tally(tracker)).toEqual({ seen: 4, count: 2, first: 200, last: 400 });
  });

  it('counts an event scored twice once, at its first output', () => {
    const tracker = new ThroughputTracker((eventId) => eventId.startsWith('m'));
    for (const [eventId, at] of [
      ['m1', 100],
      ['m2', 300],
      ['m1', 900],
      ['a', 950],
      ['a', 960],
      ['m3', 500],
    ] as const) {
      tracker.sink(eventId, at);
    }
    expect(tally(tracker)).toEqual({ seen: 4, count: 3, first: 100, last: 500 });
  });
});

describe('ThroughputTracker with micro-batches', () => {
  it('leaves out the batch finished at the first timestamp, in whatever order outputs arrive', () => {
    const tracker = new ThroughputTracker();
    [1_500, 1_000, 1_000, 1_000, 2_000, 2_000].forEach((at, i) => {
      tracker.sink(`e${i}`, at);
    });
    expect(tracker.atFirst).toBe(3);
    expect(tracker.eventsPerSec()).toBe(3);
  });
});

describe('benchmark streams', () => {
  it('continues one synthetic stream across calls, pacing each part from its own start', () => {
    const stream = syntheticEvents({ events: 30, seed: 5 });
    const head = [...syntheticMessages(stream, 10)];
    const paced = [...syntheticMessages(stream, 10, 100)];
    const all = [...syntheticEvents({ events: 30, seed: 5 })];
    expect([...head, ...paced].map((message) => message.eventId)).toEqual(
      all.slice(0, 20).map((event) => event.eventId),
    );
    expect(head.every((message) => message.dueMs === 0)).toBe(true);
    expect(paced.map((message) => message.dueMs)).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
  });

  it('measures only events whose user already had a full window', () => {
    const stream = fullWindowStream(4, 20, 3);
    expect(stream.users).toBe(4);
    expect(stream.messages).toHaveLength(160);
    const seen = new Map<string, number>();
    for (const message of stream.messages) {
      const before = seen.get(message.key) ?? 0;
      seen.set(message.key, before + 1);
      expect(stream.measured.has(message.eventId)).toBe(before >= 20);
      expect(message.key.startsWith('full-')).toBe(true);
      expect(JSON.parse(message.value).userId).toBe(message.key);
    }
    expect(stream.measured.size).toBeGreaterThan(40);
  });

  it('replays a recorded slice at a speed-up', () => {
    const slice = {
      messages: [0, 1_000, 5_000].map((dueMs, i) => ({ eventId: `e${i}`, key: 'u', value: '{}', dueMs })),
      skipped: 0,
      recordedSeconds: 5,
    };
    expect([...atSpeed(slice, 10)].map((message) => message.dueMs)).toEqual([0, 100, 500]);
  });
});
