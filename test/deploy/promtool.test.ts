import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DIR } from '../helpers/deployFiles.js';

/** Runs promtool (Debian package `prometheus`, installed by .ci/run) in deploy/prometheus. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)('promtool', args, { cwd: PROMETHEUS_DIR });
    return stdout + stderr;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error('promtool is not installed: apt-get install prometheus (see .ci/run)');
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

describe('promtool', () => {
  it('accepts the scrape configuration and the rule file it loads', async () => {
    expect(await promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: prometheus.yml is valid/);
  });

  it('accepts the alert rules', async () => {
    expect(await promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes the unit tests of the alerts', async () => {
    expect(await promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });
});
