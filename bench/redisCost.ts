import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { syntheticEvents } from '../src/events/synthetic.js';
import { WindowStore, windowOptions } from '../src/features/windowStore.js';
import { buildScoreMessage, toStoredScore } from '../src/sinks/scoreMessage.js';
import { formatTable } from '../test/faults/figures.js';
import { usedCpuSeconds } from './e2e/redisUsage.js';

const USAGE = `usage: npm run bench:redis -- [--events N] [--users N] [--batch N]

What one event costs Redis, the figure that sizes a Redis Cluster: synthetic events go through the
window store with the default settings (read what is not cached, compare-and-set, as the worker
does it) in micro-batches, with stored scores and model states of the worker's sizes, against a
redis-server of its own (append-only file synced every second, like the local stack). The server's
own CPU time and command counts are read from INFO before and after.`;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    // 50 events per user on average: most windows fill up, as they do in steady state.
    users: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '500' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const events = Number(values.events);
const users = Number(values.users);
const batch = Number(values.batch);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The server's CPU time, its script calls, and all its commands (those run inside scripts included). */
async function serverCounters(redis: Redis): Promise<{ cpuSeconds: number; scripts: number; calls: number }> {
  const info = await redis.info('everything');
  const calls = [...info.matchAll(/^cmdstat_\w+:calls=(\d+)/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
  const scripts = Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(info)?.[1] ?? 0);
  return { cpuSeconds: usedCpuSeconds(info), scripts, calls };
}

const dir = mkdtempSync(join(tmpdir(), 'seqscore-bench-redis-'));
const port = await freePort();
const server = spawn(
  'redis-server',
  [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
  ],
  { stdio: 'ignore' },
);
const redis = new Redis(port, '127.0.0.1', { retryStrategy: (attempt) => (attempt > 50 ? null : 100) });
// Refused connections while the server starts are retried; a server that never comes fails the ping.
redis.on('error', () => undefined);
try {
  await redis.ping();
  const config = loadConfig({});
  const store = new WindowStore(redis, { ...windowOptions(config), keyPrefix: 'bench' });
  const stream = [...syntheticEvents({ events, users, seed: 11 })];
  // A ten-item score as the worker stores it, and a 64-unit GRU state in int8 (73 bytes).
  const stored = toStoredScore(
    buildScoreMessage({
      event: stream[0] as (typeof stream)[number],
      modelVersion: 'gru-20261129T032419-s7',
      nextAction: { view: 0.91, cart: 0.05, fav: 0.03, purchase: 0.01 },
      churn: 0.12,
      churnHorizonMs: config.model.churnHorizonMs,
      nextItems: Array.from({ length: config.model.topK }, (_, i) => ({
        itemId: String(2_268_318 + i),
        score: 0.1,
      })),
      scoredAtMs: Date.now(),
    }),
    config.events.actions,
  );
  const modelState = Buffer.alloc(73, 7);
  const before = await serverCounters(redis);
  const startedAt = performance.now();
  for (let start = 0; start < stream.length; start += batch) {
    const slice = stream
      .slice(start, start + batch)
      .map((event, i) => ({ event, offset: String(start + i), source: 'bench:0' }));
    const outcomes = await store.apply(slice, (pending) =>
      pending.map((user) => ({ modelState, outcomes: user.events.map(() => stored) })),
    );
    // As the worker does once a batch's scores are published: the users drop their stored copies
    // (queued, and sent together unless the user is committed again first).
    await store.published(outcomes);
  }
  // What is still queued is dropped at the latest a second later, and counts here too.
  await store.dropPublished();
  const seconds = (performance.now() - startedAt) / 1000;
  const after = await serverCounters(redis);
  const memory = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
  const cpuMicros = ((after.cpuSeconds - before.cpuSeconds) * 1e6) / events;
  const row = {
    events,
    users,
    batch,
    // Two significant digits: a script call serves a whole micro-batch's users.
    scriptsPerEvent: ((after.scripts - before.scripts) / events).toPrecision(2),
    callsPerEvent: ((after.calls - before.calls) / events).toFixed(1),
    cpuMicrosPerEvent: cpuMicros.toFixed(1),
    eventsPerRedisCore: Math.round(1e6 / cpuMicros),
    clientEventsPerSecond: Math.round(events / seconds),
    kilobytesPerUser: (memory / users / 1024).toFixed(1),
  };
  console.log(
    formatTable(
      [
        ['events', 'events'],
        ['users', 'users'],
        ['batch', 'micro-batch'],
        ['scriptsPerEvent', 'script calls/event'],
        ['callsPerEvent', 'commands/event, in scripts too'],
        ['cpuMicrosPerEvent', 'Redis CPU µs/event'],
        ['eventsPerRedisCore', 'events/s per Redis core'],
        ['clientEventsPerSecond', 'events/s, one client'],
        ['kilobytesPerUser', 'KiB/user'],
      ],
      [row],
    ),
  );
} finally {
  redis.disconnect();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
