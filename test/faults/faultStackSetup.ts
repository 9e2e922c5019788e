import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stackDown, stackUp } from '../../src/stack/index.js';
import { type FaultFigures, formatFigures } from './figures.js';
import { freePort, freePortPair } from './ports.js';

export interface FaultStack {
  /** The dedicated stack instance's state folder. */
  stateDir: string;
  /** KAFKA_BROKERS and REDIS_URL of that instance. */
  env: Record<string, string>;
  /** Scratch space for the tests (logs, model, figures). */
  workDir: string;
  figuresFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    faultStack: FaultStack;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workDir = mkdtempSync(join(tmpdir(), 'seqscore-faults-'));
  const stateDir = join(workDir, 'stack');
  const kafkaPort = await freePortPair();
  const redisPort = await freePort();
  const env = { KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`, REDIS_URL: `redis://127.0.0.1:${redisPort}` };
  const stack = { stateDir, env: { ...process.env, ...env } };
  const log = (line: string) => console.log(`[fault stack] ${line}`);
  await stackUp({ ...stack, onProgress: log });
  const figuresFile = join(workDir, 'figures.jsonl');
  project.provide('faultStack', { stateDir, env, workDir, figuresFile });
  return async () => {
    if (existsSync(figuresFile)) {
      const rows = readFileSync(figuresFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as FaultFigures);
      console.log(`\nfault tests\n${formatFigures(rows)}\n`);
    }
    await stackDown({ ...stack, onProgress: log });
    rmSync(workDir, { recursive: true, force: true });
  };
}
