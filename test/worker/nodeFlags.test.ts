import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingNodeFlags, WORKER_NODE_FLAGS } from '../../src/worker/nodeFlags.js';

describe('missingNodeFlags', () => {
  it('names every worker flag a process was started without', () => {
    expect(missingNodeFlags([])).toEqual([...WORKER_NODE_FLAGS]);
    expect(missingNodeFlags(['--import', 'tsx'])).toEqual([...WORKER_NODE_FLAGS]);
    expect(missingNodeFlags([...WORKER_NODE_FLAGS])).toEqual([]);
  });

  it('takes a flag given with another value as given', () => {
    const [first, ...rest] = WORKER_NODE_FLAGS;
    const withValue = WORKER_NODE_FLAGS.find((flag) => flag.includes('=')) as string;
    const other = `${withValue.split('=')[0]}=64`;
    expect(missingNodeFlags(WORKER_NODE_FLAGS.map((flag) => (flag === withValue ? other : flag)))).toEqual(
      [],
    );
    expect(missingNodeFlags(rest)).toEqual([first]);
  });
});

describe('the demo', () => {
  it('runs node with the worker flags, as the images do', () => {
    const { scripts } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const demo = scripts.demo?.split(/\s+/) ?? [];
    const node = demo.indexOf('node');
    expect(node).toBeGreaterThanOrEqual(0);
    expect(missingNodeFlags(demo.slice(node + 1, demo.indexOf('dist/cli/index.js')))).toEqual([]);
  });
});
