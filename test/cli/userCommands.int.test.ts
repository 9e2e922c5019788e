import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { WindowStore } from '../../src/features/windowStore.js';
import { fitSegments } from '../../src/insights/segments.js';
import { readModelMetadata } from '../../src/model/modelFolder.js';
import { saveSegments } from '../../src/model/segmentsFile.js';
import { removeKeysAndDisconnect, uniqueName, untrainedModelFolder } from '../helpers/integration.js';
import { ACTIONS, smallShop } from '../insights/fixtures.js';

/**
 * `seqscore profile` and `seqscore explain` read the window that the worker keeps in Redis: the
 * test writes one through the same WindowStore and runs the real commands.
 */
const run = promisify(execFile);
const prefix = uniqueName('user-commands');
let redis: Redis;
let folder: string;

async function seqscore(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/cli/index.ts', ...args], {
      env: {
        ...process.env,
        SEQSCORE_REDIS_PREFIX: prefix,
        SEQSCORE_TF_BACKEND: 'cpu',
        SEQSCORE_LOG_LEVEL: 'warn',
      },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const windows = new WindowStore(redis, {
    keyPrefix: prefix,
    size: 50,
    dedupeIds: 8,
    ttlMs: 600_000,
    latenessMs: 86_400_000,
    actions: new ActionVocabulary(ACTIONS),
    cacheUsers: 0,
  });
  const events = smallShop().filter((event) => event.userId === 'u1');
  await windows.apply(
    events.map((event, i) => ({ event, offset: String(i), source: 'events:0' })),
    (users) =>
      users.map((user) => ({ modelState: null, outcomes: user.events.map(() => Buffer.from('score')) })),
  );
  folder = await untrainedModelFolder(ACTIONS);
  const { version } = await readModelMetadata(folder);
  // One segment per sign of the first embedding value: enough to see the profile name a segment.
  await saveSegments(
    folder,
    fitSegments(
      [Float32Array.from({ length: 8 }, () => 0.1), Float32Array.from({ length: 8 }, () => -0.1)],
      [events, events],
      {
        k: 2,
        seed: 1,
        modelVersion: version,
        actions: ACTIONS,
      },
    ),
  );
}, 60_000);

afterAll(() => removeKeysAndDisconnect(redis, prefix));

describe('profile and explain commands', () => {
  it('profile prints decayed interests, the embedding and the segment of a stored user', async () => {
    const { stdout, code } = await seqscore('profile', '--user', 'u1', '--model', folder, '--json');
    expect(code).toBe(0);
    const profile = JSON.parse(stdout);
    expect(profile.events).toBe(4);
    expect(profile.categories.map((c: { name: string }) => c.name)).toEqual(['A', 'B']);
    expect(profile.categories[0].share).toBeCloseTo(0.75, 2);
    expect(profile.embedding).toHaveLength(8);
    expect([0, 1]).toContain(profile.segment);
  }, 60_000);

  it('explain prints a weight for every stored event', async () => {
    const { stdout, code } = await seqscore('explain', '--user', 'u1', '--model', folder, '--json');
    expect(code).toBe(0);
    const explanation = JSON.parse(stdout);
    expect(explanation.method).toBe('occlusion');
    expect(explanation.events.map((w: { event: { action: string } }) => w.event.action)).toEqual([
      'view',
      'view',
      'cart',
      'purchase',
    ]);
    expect(ACTIONS).toContain(explanation.predictedAction);
  }, 60_000);

  it('says so, with exit code 1, when nothing is stored about the user', async () => {
    const { stderr, code } = await seqscore('profile', '--user', 'nobody', '--model', folder);
    expect(code).toBe(1);
    expect(stderr).toContain('nothing stored about the user');
  }, 60_000);
});
